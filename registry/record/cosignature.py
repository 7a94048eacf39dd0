"""Witness cosignatures (C2SP tlog-cosignature, Ed25519 ``cosignature/v1``).

A witness that checked a checkpoint is consistent with everything it saw of
the log before adds its own signature line to the note. The line is an
ordinary signed-note signature, so any note tooling carries it, but the key
type is 0x04 and what is signed is the checkpoint body prefixed by
``cosignature/v1`` and the time of signing: a witness's key cannot be made
to sign a checkpoint as if it were the log's, nor the other way round.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from registry.record.note import (
    NoteError,
    Signature,
    key_hash,
    signers,
    split,
    vkey_parts,
    vkey_text,
)

COSIGNATURE_V1 = b"\x04"
_HEADER = "cosignature/v1\n"
_TIMESTAMP = struct.Struct(">Q")
_ED25519_SIGNATURE_SIZE = 64


@dataclass(frozen=True)
class Cosigner:
    """A witness's named public key, as clients pin it."""

    name: str
    key_hash: bytes
    key: Ed25519PublicKey

    @property
    def vkey(self) -> str:
        """This key in the signed-note verifier key format, type 0x04."""
        return vkey_text(self.name, self.key_hash, COSIGNATURE_V1, self.key)

    def verifies(self, text: str, signature: bytes) -> bool:
        """Whether ``signature`` (timestamp, then Ed25519) is this witness's over ``text``."""
        if len(signature) != _TIMESTAMP.size + _ED25519_SIGNATURE_SIZE:
            return False
        (timestamp,) = _TIMESTAMP.unpack(signature[: _TIMESTAMP.size])
        try:
            self.key.verify(signature[_TIMESTAMP.size :], signed_message(text, timestamp))
        except InvalidSignature:
            return False
        return True


def cosigner_of(name: str, public_key: Ed25519PublicKey) -> Cosigner:
    """The cosigner of a named witness key."""
    return Cosigner(name, key_hash(name, public_key, COSIGNATURE_V1), public_key)


def parse_cosigner_vkey(vkey: str) -> Cosigner:
    """A witness's key from its vkey text; NoteError if it is not a type 0x04 key."""
    name, public_key = vkey_parts(vkey, COSIGNATURE_V1)
    return cosigner_of(name, public_key)


def signed_message(text: str, timestamp: int) -> bytes:
    """The bytes a witness signs: header, time line, then the checkpoint body."""
    if timestamp < 0 or timestamp >= 2**63:
        raise NoteError(f"a cosignature's time {timestamp} is out of range")
    return f"{_HEADER}time {timestamp}\n{text}".encode()


def cosign(text: str, name: str, key: Ed25519PrivateKey, timestamp: int) -> Signature:
    """A witness's cosignature line over a checkpoint body, made at ``timestamp``."""
    signature = key.sign(signed_message(text, timestamp))
    return Signature(
        name,
        key_hash(name, key.public_key(), COSIGNATURE_V1),
        _TIMESTAMP.pack(timestamp) + signature,
    )


def timestamp_of(signature: Signature) -> int:
    """When a cosignature says it was made (POSIX seconds)."""
    return int(_TIMESTAMP.unpack(signature.signature[: _TIMESTAMP.size])[0])


def cosigned_by(checkpoint: str, cosigners: Sequence[Cosigner]) -> list[Cosigner]:
    """The pinned witnesses whose valid cosignature the signed checkpoint carries."""
    text, signatures = split(checkpoint)
    return signers(text, signatures, cosigners)


def with_cosignatures(checkpoint: str, lines: Sequence[str]) -> str:
    """The checkpoint with more signature lines appended, each once."""
    have = set(checkpoint.splitlines(keepends=True))
    added = [line for line in dict.fromkeys(lines) if line not in have]
    return checkpoint + "".join(added)


def cosignature_in(checkpoint: str, response: str, cosigner: Cosigner) -> str | None:
    """The line of ``response`` that is ``cosigner``'s valid cosignature of the checkpoint."""
    text, _ = split(checkpoint)
    for line in response.splitlines(keepends=True):
        try:
            _, (signature,) = split(text + "\n" + line)
        except (NoteError, ValueError):
            continue
        if (signature.name, signature.key_hash) == (cosigner.name, cosigner.key_hash) and (
            cosigner.verifies(text, signature.signature)
        ):
            return signature.line()
    return None
