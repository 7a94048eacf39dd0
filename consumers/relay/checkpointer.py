"""Signs the published record's head now and then, and publishes the checkpoint.

The relay calls it after publishing (so a checkpoint never covers an event
Kafka has not acknowledged); ``partner-registry checkpoint`` calls it on
demand. A checkpoint goes to the checkpoints topic first and is kept in the
database once Kafka has it, so the two never disagree for long.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from registry.adapters.checkpoint_store import CheckpointStore
from registry.record.messages import Message, encode_announcement, encode_checkpoint
from registry.record.public_record import RecordPosition
from registry.record.signing import (
    Checkpoint,
    KeyAnnouncement,
    SigningKeyError,
    announce,
    key_id,
    public_pem,
    sign,
)

log = structlog.get_logger(__name__)

Send = Callable[[Sequence[tuple[str, Message]]], None]


class Checkpointer:
    """Signs heads with the registry's key; publishes to a topic and a table."""

    def __init__(
        self, key: Ed25519PrivateKey, store: CheckpointStore, topic: str, source: str,
        interval: float,
    ) -> None:  # fmt: skip
        self._key = key
        self._store = store
        self._topic = topic
        self._source = source
        self._interval = interval
        self._last_sequence = max((c.sequence for c in store.checkpoints()), default=0)
        self._last_time = float("-inf")
        public = key.public_key()
        _check_may_sign(store, key_id(public))
        store.remember_key(key_id(public), public_pem(public))

    def due(self, head: RecordPosition) -> bool:
        """Whether the head moved since the last checkpoint and the interval has passed."""
        waited = time.monotonic() - self._last_time >= self._interval
        return head.sequence > self._last_sequence and waited

    def sign(self, head: RecordPosition, send: Send) -> Checkpoint:
        """Sign the head, publish it, keep it."""
        checkpoint = sign(
            self._key, sequence=head.sequence, position=head.notification_id,
            chain_hash=head.chain_hash, signed_at=datetime.now(UTC).isoformat(),
            source=self._source,
        )  # fmt: skip
        send([(self._topic, encode_checkpoint(checkpoint))])
        self._store.add(checkpoint)
        self._last_sequence, self._last_time = head.sequence, time.monotonic()
        log.info("checkpoint signed", sequence=head.sequence, key_id=checkpoint.key_id)
        return checkpoint

    def close(self) -> None:
        """Release the database connection."""
        self._store.close()

    def announce(self, new: Ed25519PublicKey, send: Send) -> KeyAnnouncement:
        """Announce, signed with the current key, the key that will sign next; publish it.

        Announcing the same key again publishes the first announcement again.
        """
        fresh = announce(
            self._key, new, announced_at=datetime.now(UTC).isoformat(), source=self._source
        )
        self._store.announce(fresh)
        kept = next(a for a in self._store.announcements() if a.new_key_id == fresh.new_key_id)
        send([(self._topic, encode_announcement(kept))])
        log.info("signing key announced", new_key_id=kept.new_key_id, key_id=kept.key_id)
        return kept

    def republish(self, send: Send) -> int:
        """Send every kept announcement and checkpoint again (to a broker that lost them)."""
        announced = [(self._topic, encode_announcement(a)) for a in self._store.announcements()]
        kept = [(self._topic, encode_checkpoint(c)) for c in self._store.checkpoints()]
        if announced or kept:
            send(announced + kept)
        return len(kept)


def _check_may_sign(store: CheckpointStore, own: str) -> None:
    """Refuse a key the public record has not heard of: verifiers would reject its work."""
    known = {k for k, _, _ in store.public_keys()}
    announced = {a.new_key_id for a in store.announcements()}
    if known and own not in known | announced:
        msg = (
            f"the signing key {own} was never announced: checkpoints so far were signed by "
            f"{', '.join(sorted(known))}. Give every relay the same key file, or announce the "
            "new key with the current one first (`partner-registry keys announce`)."
        )
        raise SigningKeyError(msg)
