"""The registry's Ed25519 signing key, and signed checkpoints of the public record.

A checkpoint says "the public record up to sequence N has chain hash H", at
a time, signed. Once published, a history rewritten before N is detected
even if the rewriter recomputed every later hash, because the signature
cannot be recomputed without the key. The key lives in a file named by
configuration, created (readable by its owner only) on first use; it is
never logged and never in the repository.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from registry.chain import canonical_json


class SigningKeyError(RuntimeError):
    """The signing key file cannot be read as an Ed25519 private key."""


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement of the public record's head."""

    sequence: int
    position: int
    chain_hash: str
    signed_at: str
    source: str
    key_id: str
    signature: str

    def signed_part(self) -> bytes:
        """The canonical bytes the signature covers (everything but the signature)."""
        fields = asdict(self)
        del fields["signature"]
        return canonical_json(fields)

    def to_json(self) -> dict[str, Any]:
        """The checkpoint as a JSON object."""
        return asdict(self)


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The key in ``path``; a new one is written there (mode 0600) if the file is missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        return key
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as error:
        msg = (
            f"the signing key file {path} is not a PEM Ed25519 private key ({type(error).__name__})"
        )
        raise SigningKeyError(msg) from None
    if not isinstance(loaded, Ed25519PrivateKey):
        msg = f"the signing key file {path} holds a {type(loaded).__name__}, not an Ed25519 key"
        raise SigningKeyError(msg)
    return loaded


def public_pem(key: Ed25519PublicKey) -> str:
    """The public key as PEM text, to publish."""
    pem: bytes = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode("ascii")


def key_id(key: Ed25519PublicKey) -> str:
    """A short, stable name for a public key: the first 16 hex digits of its SHA-256."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_public_key(pem: str | bytes) -> Ed25519PublicKey:
    """A published public key, from its PEM text."""
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        msg = "the public key is not an Ed25519 key"
        raise SigningKeyError(msg)
    return key


def sign(
    key: Ed25519PrivateKey, *, sequence: int, position: int, chain_hash: str, signed_at: str,
    source: str,
) -> Checkpoint:  # fmt: skip
    """Sign the record's head."""
    unsigned = Checkpoint(
        sequence=sequence, position=position, chain_hash=chain_hash, signed_at=signed_at,
        source=source, key_id=key_id(key.public_key()), signature="",
    )  # fmt: skip
    signature = base64.b64encode(key.sign(unsigned.signed_part())).decode("ascii")
    return Checkpoint(**{**asdict(unsigned), "signature": signature})


def is_genuine(checkpoint: Checkpoint, key: Ed25519PublicKey) -> bool:
    """Whether the checkpoint was signed by this key and not altered since."""
    if checkpoint.key_id != key_id(key):
        return False
    try:
        key.verify(base64.b64decode(checkpoint.signature, validate=True), checkpoint.signed_part())
    except (InvalidSignature, ValueError):
        return False
    return True
