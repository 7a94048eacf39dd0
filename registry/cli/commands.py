"""Which module holds each command, so that a command loads only its own.

Loading every command module takes well over a second (Kafka's client, the
event store, the web server); ``log verify``, run by outsiders, and
``alive``, run by health probes, need none of that. The order here is the
order of ``--help``.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

COMMANDS: dict[str, str] = {
    "register": "writes",
    "amend": "writes",
    "correct": "writes",
    "evaluate": "writes",
    "warn": "writes",
    "withdraw-warning": "writes",
    "resolve-warning": "writes",
    "extend-deadline": "writes",
    "suspend": "writes",
    "reinstate": "writes",
    "withdraw": "writes",
    "terminate": "writes",
    "lodge-objection": "writes",
    "decide-objection": "writes",
    "seed": "writes",
    "rules": "rules",
    "checkpoint": "audit",
    "relay": "processes",
    "alive": "processes",
    "serve": "processes",
    "up": "processes",
    "project": "read_models",
    "rebuild": "read_models",
    "publish-feed": "read_models",
    "show-feed": "read_models",
    "projection-status": "read_models",
    "check-trail": "read_models",
    "show": "reads",
    "list": "reads",
    "witness": "witness",
    "audit": "audit",
    "keys": "keys",
    "log": "signed_log",
    "token": "tokens",
}


def load(args: Sequence[str]) -> None:
    """Register on the app the command ARGS name, or every command when they name none.

    The top-level group takes no option with a value, so the first word that
    is not an option is the command; ``--help`` alone or an unknown word
    loads them all, for the full list or click's "no such command".
    """
    named = next((arg for arg in args if not arg.startswith("-")), None)
    modules = [COMMANDS[named]] if named in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for module in modules:
        importlib.import_module(f"registry.cli.{module}")
