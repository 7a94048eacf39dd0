"""The keys a verifier trusts: the one it pinned, and every key announced from there.

An auditor pins one public key (the registry's first, or any later one it
trusts). Each announcement signed by a trusted key adds the key it names,
trusted from the moment of the announcement: a checkpoint that key signed
earlier, or an announcement signed by a key nobody trusted, proves nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from registry.record.note import Verifier, verifier_of
from registry.record.signing import (
    Checkpoint,
    KeyAnnouncement,
    announcement_is_genuine,
    is_genuine,
    key_id,
    load_public_key,
)


@dataclass(frozen=True)
class _Trusted:
    key: Ed25519PublicKey
    since: str


class Keyring:
    """The pinned key and the keys it (transitively) announced."""

    def __init__(
        self, pinned: Ed25519PublicKey, announcements: Sequence[KeyAnnouncement] = ()
    ) -> None:
        self._trusted = {key_id(pinned): _Trusted(pinned, "")}
        waiting = sorted(announcements, key=lambda a: datetime.fromisoformat(a.announced_at))
        while accepted := [a for a in waiting if self._follows(a)]:
            for announcement in accepted:
                self._trusted[announcement.new_key_id] = _Trusted(
                    load_public_key(announcement.new_public_key), announcement.announced_at
                )
            waiting = [a for a in waiting if a.new_key_id not in self._trusted]
        self.unfollowed = [a for a in waiting if a.new_key_id not in self._trusted]

    @property
    def key_ids(self) -> list[str]:
        """Every trusted key's id, the pinned one first."""
        return list(self._trusted)

    def log_verifiers(self, origin: str) -> list[Verifier]:
        """Every trusted key as a verifier of the log's signed notes (named by the origin)."""
        return [verifier_of(origin, trusted.key) for trusted in self._trusted.values()]

    def verifies(self, checkpoint: Checkpoint) -> bool:
        """Whether a trusted key signed the checkpoint, after that key was announced."""
        trusted = self._trusted.get(checkpoint.key_id)
        if trusted is None or _before(checkpoint.signed_at, trusted.since):
            return False
        return is_genuine(checkpoint, trusted.key)

    def _follows(self, announcement: KeyAnnouncement) -> bool:
        signer = self._trusted.get(announcement.key_id)
        return (
            signer is not None
            and announcement.new_key_id not in self._trusted
            and not _before(announcement.announced_at, signer.since)
            and announcement_is_genuine(announcement, signer.key)
        )


def _before(moment: str, since: str) -> bool:
    return bool(since) and datetime.fromisoformat(moment) < datetime.fromisoformat(since)
