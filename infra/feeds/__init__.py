"""Documents published beside the feeds: the JSON Schema and the CSV data dictionary."""

from __future__ import annotations

from importlib.resources import files

DOCUMENTS = ("current-partners.schema.json", "current-partners.csv-metadata.json")


def document(name: str) -> bytes:
    """The bytes of one of the DOCUMENTS."""
    return (files(__name__) / name).read_bytes()
