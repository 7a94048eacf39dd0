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

from registry.record.chain import canonical_json


class SigningKeyError(RuntimeError):
    """The signing key is missing, unreadable, or not one the public record announced."""


class _Signed:
    """A statement signed over the canonical JSON of every field but ``signature``."""

    def signed_part(self) -> bytes:
        """The canonical bytes the signature covers (everything but the signature)."""
        fields = self.to_json()
        del fields["signature"]
        return canonical_json(fields)

    def to_json(self) -> dict[str, Any]:
        """The statement as a JSON object."""
        fields: dict[str, Any] = asdict(self)  # type: ignore[call-overload]
        return fields


@dataclass(frozen=True)
class Checkpoint(_Signed):
    """A signed statement of the public record's head."""

    sequence: int
    position: int
    chain_hash: str
    signed_at: str
    source: str
    key_id: str
    signature: str


@dataclass(frozen=True)
class KeyAnnouncement(_Signed):
    """The key in use saying, signed, which key will sign after it.

    Published before the new key signs anything, so a verifier that pinned
    the first key follows every rotation without trusting anything else.
    """

    new_key_id: str
    new_public_key: str
    announced_at: str
    source: str
    key_id: str
    signature: str


def create_key(path: Path) -> Ed25519PrivateKey:
    """A new key written to ``path`` (mode 0600); an existing file is never replaced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        msg = f"the signing key file {path} already exists; it is never replaced"
        raise SigningKeyError(msg) from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return key


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The key in ``path``; a new one is written there if the file is missing (development)."""
    if not path.exists():
        try:
            return create_key(path)
        except SigningKeyError:
            pass  # another process created it first: use theirs
    return load_key(path)


def load_key(path: Path) -> Ed25519PrivateKey:
    """The key in ``path``, or a clear refusal when it is missing or not an Ed25519 key."""
    if not path.exists():
        msg = (
            f"no signing key at {path}: create one with `partner-registry keys create` and "
            "give every relay the same file (SIGNING_KEY_FILE, e.g. a secret in "
            "/run/secrets)"
        )
        raise SigningKeyError(msg)
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


def announce(
    current: Ed25519PrivateKey, new: Ed25519PublicKey, *, announced_at: str, source: str
) -> KeyAnnouncement:
    """The current key's signed announcement of the key that will sign after it."""
    unsigned = KeyAnnouncement(
        new_key_id=key_id(new), new_public_key=public_pem(new), announced_at=announced_at,
        source=source, key_id=key_id(current.public_key()), signature="",
    )  # fmt: skip
    signature = base64.b64encode(current.sign(unsigned.signed_part())).decode("ascii")
    return KeyAnnouncement(**{**asdict(unsigned), "signature": signature})


def announcement_is_genuine(announcement: KeyAnnouncement, key: Ed25519PublicKey) -> bool:
    """Whether ``key`` signed the announcement, unaltered, of the key it names."""
    if announcement.key_id != key_id(key):
        return False
    try:
        announced = load_public_key(announcement.new_public_key)
        key.verify(
            base64.b64decode(announcement.signature, validate=True), announcement.signed_part()
        )
    except (InvalidSignature, ValueError, SigningKeyError):
        return False
    return key_id(announced) == announcement.new_key_id
