"""``partner-registry keys``: the one signing identity of the public record, and its rotation.

Every relay signs with the same key, given to each as a secret file
(``SIGNING_KEY_FILE``). In production it is created once, explicitly, with
``keys create``; a new key is announced by the current one (``keys
announce``) before any relay signs with it, so an auditor who pinned the
first key follows the rotation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from consumers.messaging.broker import ensure_declared_topics
from infra.topics import declared_topics
from registry.bootstrap import open_signer
from registry.cli.app import app
from registry.cli.json_output import AsJson, emit_json
from registry.config import Settings
from registry.record.note import verifier_of
from registry.record.signing import create_key, key_id, load_key, public_pem

keys = typer.Typer(help="The checkpoint signing key: create, show, rotate.", no_args_is_help=True)
app.add_typer(keys, name="keys")

KeyFile = Annotated[
    Path | None, typer.Option("--file", help="The key file [default: SIGNING_KEY_FILE].")
]


@keys.command("create")
def create(ctx: typer.Context, file: KeyFile = None, as_json: AsJson = False) -> None:
    """Create a new signing key file (mode 0600); an existing file is never replaced."""
    path = file or Path(ctx.obj.signing_key_file)
    public = create_key(path).public_key()
    _show(key_id(public), public_pem(public), as_json, f"Created signing key in {path}.")


@keys.command("public")
def public(ctx: typer.Context, file: KeyFile = None, as_json: AsJson = False) -> None:
    """Print the public key of a signing key file (for auditors to pin)."""
    path = file or Path(ctx.obj.signing_key_file)
    key = load_key(path).public_key()
    _show(key_id(key), public_pem(key), as_json, f"Public key of {path}:")


@keys.command("vkey")
def vkey(ctx: typer.Context, file: KeyFile = None) -> None:
    """Print the log's verifier key (C2SP signed-note vkey) for LOG_VKEYS and auditors."""
    settings: Settings = ctx.obj
    path = file or Path(settings.signing_key_file)
    typer.echo(verifier_of(settings.log_origin, load_key(path).public_key()).vkey)


@keys.command("announce")
def announce(
    ctx: typer.Context,
    new_key_file: Annotated[
        Path, typer.Option(help="The key that will sign next (from `keys create --file`).")
    ],
    as_json: AsJson = False,
) -> None:
    """Announce, signed by the current key, the key that will sign next; publish it."""
    settings: Settings = ctx.obj
    settings.require_kafka()
    new = load_key(new_key_file).public_key()
    ensure_declared_topics(settings, list(declared_topics(settings.kafka_topic_prefix).values()))
    with open_signer(settings) as (signer, send):
        announced = signer.announce(new, send)
    if as_json:
        emit_json(announced.to_json())
        return
    typer.echo(
        f"Key {announced.new_key_id} announced by key {announced.key_id} at "
        f"{announced.announced_at}.\nNow give every relay {new_key_file} as SIGNING_KEY_FILE "
        "and restart them one by one."
    )


def _show(identifier: str, pem: str, as_json: bool, heading: str) -> None:
    if as_json:
        emit_json({"key_id": identifier, "public_key": pem})
        return
    typer.echo(f"{heading}\nkey id {identifier}\n{pem}", nl=False)
