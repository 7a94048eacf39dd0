"""The ``partner-registry`` command: refusals become messages and exit codes."""

from __future__ import annotations

import sys

import typer

from registry.cli import commands
from registry.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Run the command line, turning every refusal into a message and an exit code."""
    commands.load(sys.argv[1:])
    try:
        app()
    except Exception as error:
        from registry.cli.failures import failure_of  # noqa: PLC0415 - only once something failed

        message, code = failure_of(error)
        typer.echo(f"error: {message}", err=True)
        sys.exit(code)
