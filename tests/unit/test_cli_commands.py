"""Each command loads only its own module, and the table of commands is the CLI's."""

from __future__ import annotations

import subprocess
import sys

from registry.cli import app, commands


def _registered() -> dict[str, str]:
    """Command name to defining module, as the Typer app holds them once all are loaded."""
    names = {
        (info.name or info.callback.__name__): info.callback.__module__
        for info in app.registered_commands
        if info.callback is not None
    }
    for group in app.registered_groups:
        assert group.name is not None
        assert group.typer_instance is not None
        first = group.typer_instance.registered_commands[0].callback
        assert first is not None
        names[group.name] = first.__module__
    return names


def _modules_after(args: list[str]) -> set[str]:
    """Top-level packages imported once ARGS are loaded, in a fresh interpreter."""
    script = (
        "import sys; from registry.cli import commands; "
        f"commands.load({args!r}); print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return set(run.stdout.split())


def test_the_table_names_every_command_and_the_module_that_defines_it() -> None:
    commands.load([])

    registered = _registered()

    assert registered == {
        name: f"registry.cli.{module}" for name, module in commands.COMMANDS.items()
    }


def test_verifying_the_log_over_http_loads_neither_kafka_nor_the_database_driver() -> None:
    loaded = _modules_after(["log", "verify", "--url", "http://example"])

    assert "typer" in loaded
    assert not {"kafka", "psycopg", "eventsourcing", "uvicorn", "fastapi"} & loaded


def test_help_alone_or_an_unknown_command_loads_every_command() -> None:
    for args in ([], ["--help"], ["no-such-command"]):
        assert {"kafka", "uvicorn"} <= _modules_after(args), args
