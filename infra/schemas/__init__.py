"""The JSON Schemas of the records the registry publishes, loadable by name."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The schema in ``infra/schemas/<name>.schema.json``."""
    text = (files(__name__) / f"{name}.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
