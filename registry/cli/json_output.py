"""The ``--json`` switch, and the one JSON document a command then prints for scripts."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def emit_json(data: Any) -> None:
    """Print one JSON document on stdout."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
