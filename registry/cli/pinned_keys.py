"""The keys an auditor pins on the command line, read before anything is trusted.

Kept apart from the commands that use them so that ``log verify``, which
needs only these and HTTP, starts without loading Kafka or the event store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from registry.config import Settings
from registry.record.cosignature import Cosigner, parse_cosigner_vkey
from registry.record.note import NoteError, Verifier, parse_vkey, verifier_of
from registry.record.signing import load_key, load_public_key

PublicKeyOption = Annotated[
    Path | None,
    typer.Option(
        help="The registry's public key (PEM) to check checkpoints with [default: "
        "derived from SIGNING_KEY_FILE when it exists]."
    ),
]


def log_verifiers_of(
    settings: Settings, public_key: Path | None, vkeys: list[str]
) -> list[Verifier]:
    """The log keys an auditor pinned: --log-vkey, else the public half of --public-key."""
    try:
        if vkeys:
            return [parse_vkey(v) for v in vkeys]
    except NoteError as error:
        raise typer.BadParameter(str(error), param_hint="--log-vkey") from None
    pinned = public_key_of(settings, public_key)
    if pinned is None:
        raise typer.BadParameter(
            "no key to check the log with: pass --log-vkey (GET /log/vkey) or --public-key",
            param_hint="--log-vkey",
        )
    return [verifier_of(settings.log_origin, pinned)]


def cosigners_of(vkeys: list[str]) -> list[Cosigner]:
    """The witness keys an auditor pinned (--witness), refused clearly when malformed."""
    try:
        return [parse_cosigner_vkey(v) for v in vkeys]
    except NoteError as error:
        raise typer.BadParameter(str(error), param_hint="--witness") from None


def public_key_of(settings: Settings, given: Path | None) -> Ed25519PublicKey | None:
    """--public-key, else the public half of our own signing key when this host has it."""
    if given is not None:
        return load_public_key(given.read_bytes())
    own = Path(settings.signing_key_file)
    return load_key(own).public_key() if own.exists() else None
