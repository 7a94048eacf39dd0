"""Signed notes (C2SP signed-note) with Ed25519 keys: how checkpoints are signed.

A note is UTF-8 text ending in a newline; its signatures follow a blank
line, one per line: an em dash, the key's name, and the base64 of the
key's 4-byte hash followed by the signature of the text. A verifier key is
written ``<name>+<key hash in hex>+<base64 of 0x01 and the public key>`` (the
"vkey" format of Go's ``sumdb/note``), so Go's and other implementations of
the specification open our notes and we open theirs.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = b"\x01"
KEY_HASH_SIZE = 4
_ED25519_KEY_SIZE = 32
DASH = "\u2014 "


class NoteError(ValueError):
    """A note that is malformed, or that no trusted key signed."""


class NoteVerifier(Protocol):
    """Whatever checks one kind of signature line: a log's key, a witness's key."""

    @property
    def name(self) -> str: ...

    @property
    def key_hash(self) -> bytes: ...

    def verifies(self, text: str, signature: bytes) -> bool: ...


V = TypeVar("V", bound=NoteVerifier)


@dataclass(frozen=True)
class Verifier:
    """A named public key that may have signed a note."""

    name: str
    key_hash: bytes
    key: Ed25519PublicKey

    @property
    def vkey(self) -> str:
        """This key in the signed-note verifier key format."""
        return vkey_text(self.name, self.key_hash, ED25519, self.key)

    def verifies(self, text: str, signature: bytes) -> bool:
        """Whether ``signature`` is this key's over the note text."""
        try:
            self.key.verify(signature, text.encode())
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Signature:
    """One signature line of a note."""

    name: str
    key_hash: bytes
    signature: bytes

    def line(self) -> str:
        """The signature line as written under the note."""
        encoded = base64.b64encode(self.key_hash + self.signature).decode()
        return f"{DASH}{self.name} {encoded}\n"


def vkey_text(name: str, hash_: bytes, kind: bytes, public_key: Ed25519PublicKey) -> str:
    """``<name>+<key hash in hex>+<base64 of the type byte and the key>``."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return f"{name}+{hash_.hex()}+{base64.b64encode(kind + raw).decode()}"


def key_hash(name: str, public_key: Ed25519PublicKey, kind: bytes = ED25519) -> bytes:
    """The 4-byte hash that names a key (of a signature ``kind``) in a signature line."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(name.encode() + b"\n" + kind + raw).digest()[:KEY_HASH_SIZE]


def verifier_of(name: str, public_key: Ed25519PublicKey) -> Verifier:
    """The verifier of a named public key."""
    _check_name(name)
    return Verifier(name, key_hash(name, public_key), public_key)


def parse_vkey(vkey: str) -> Verifier:
    """A verifier from its ``<name>+<hash>+<key>`` text, refusing a hash that does not match."""
    name, public_key = vkey_parts(vkey, ED25519)
    return verifier_of(name, public_key)


def vkey_parts(vkey: str, kind: bytes) -> tuple[str, Ed25519PublicKey]:
    """The name and Ed25519 key of a verifier key of signature type ``kind``, hash checked."""
    name, _, rest = vkey.strip().partition("+")
    hash_hex, _, key_text = rest.partition("+")
    try:
        raw = base64.b64decode(key_text, validate=True)
        claimed = bytes.fromhex(hash_hex)
    except ValueError as error:
        raise NoteError(f"malformed verifier key: {error}") from None
    if len(raw) != 1 + _ED25519_KEY_SIZE or raw[:1] != kind or len(claimed) != KEY_HASH_SIZE:
        raise NoteError(f"the verifier key is not an Ed25519 key of type 0x{kind.hex()}")
    _check_name(name)
    public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    if key_hash(name, public_key, kind) != claimed:
        raise NoteError("the verifier key's hash does not match its name and key")
    return name, public_key


def sign(text: str, name: str, key: Ed25519PrivateKey) -> Signature:
    """Sign a note's text with a named key."""
    return Signer.of(name, key).sign(text)


@dataclass(frozen=True)
class Signer:
    """A named key that signs many notes: its key hash is worked out once (a fifth of
    the cost of signing a checkpoint, paid for every record the relay publishes)."""

    name: str
    key: Ed25519PrivateKey
    key_hash: bytes

    @classmethod
    def of(cls, name: str, key: Ed25519PrivateKey) -> Signer:
        """The signer of a named private key."""
        return cls(name, key, key_hash(name, key.public_key()))

    def sign(self, text: str) -> Signature:
        """Sign a note's text."""
        _check_text(text)
        return Signature(self.name, self.key_hash, self.key.sign(text.encode()))


def signed_note(text: str, signatures: Iterable[Signature]) -> str:
    """The note with its signatures, as published."""
    _check_text(text)
    return text + "\n" + "".join(s.line() for s in signatures)


def split(note: str) -> tuple[str, list[Signature]]:
    """The text of a signed note and its signature lines, unverified."""
    text, separator, block = note.rpartition("\n\n")
    if not separator or not block.endswith("\n"):
        raise NoteError("the note has no signature block")
    return text + "\n", [_signature(line) for line in block[:-1].split("\n")]


def open_note(note: str, verifiers: Sequence[Verifier]) -> tuple[str, list[Verifier]]:
    """The note's text and the trusted keys that signed it; NoteError if none did."""
    text, signatures = split(note)
    signed_by = signers(text, signatures, verifiers)
    if not signed_by:
        raise NoteError("no trusted key signed the note")
    return text, signed_by


def signers(text: str, signatures: Sequence[Signature], verifiers: Sequence[V]) -> list[V]:
    """The verifiers whose signature over ``text`` is among ``signatures``, unknown ones ignored."""
    return [
        v
        for v in verifiers
        if any(
            (s.name, s.key_hash) == (v.name, v.key_hash) and v.verifies(text, s.signature)
            for s in signatures
        )
    ]


def _signature(line: str) -> Signature:
    if not line.startswith(DASH):
        raise NoteError(f"not a signature line: {line!r}")
    name, _, encoded = line[len(DASH) :].rpartition(" ")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise NoteError(f"malformed signature on line {line!r}") from None
    if len(raw) <= KEY_HASH_SIZE:
        raise NoteError(f"malformed signature on line {line!r}")
    return Signature(name, raw[:KEY_HASH_SIZE], raw[KEY_HASH_SIZE:])


def _check_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() for c in name):
        raise NoteError(f"a key name must be non-empty, without spaces or '+': {name!r}")


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("a note's text must end with a newline")
