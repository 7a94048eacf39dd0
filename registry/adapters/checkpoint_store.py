"""Signed checkpoints and the public keys that signed them, kept beside the event store.

The table is what the HTTP API publishes and what the relay re-sends to a
broker that lost its history; Kafka's checkpoints topic is a copy.
"""

from __future__ import annotations

from datetime import UTC, datetime

from registry.adapters.sqldb import OwnTables
from registry.record.signing import Checkpoint, KeyAnnouncement

_CREATE = [
    """CREATE TABLE IF NOT EXISTS checkpoints (
        sequence BIGINT NOT NULL, position BIGINT NOT NULL, chain_hash TEXT NOT NULL,
        signed_at TEXT NOT NULL, source TEXT NOT NULL, key_id TEXT NOT NULL,
        signature TEXT NOT NULL, PRIMARY KEY (sequence, signed_at))""",
    """CREATE TABLE IF NOT EXISTS signing_keys (
        key_id TEXT PRIMARY KEY, public_key TEXT NOT NULL, first_used TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS key_announcements (
        new_key_id TEXT PRIMARY KEY, new_public_key TEXT NOT NULL, announced_at TEXT NOT NULL,
        source TEXT NOT NULL, key_id TEXT NOT NULL, signature TEXT NOT NULL)""",
]
_ANNOUNCED = "new_key_id, new_public_key, announced_at, source, key_id, signature"
_COLUMNS = "sequence, position, chain_hash, signed_at, source, key_id, signature"


class CheckpointStore(OwnTables):
    """Checkpoints and public keys in the store's database."""

    CREATE = _CREATE
    LOCK = "partner-registry:checkpoints"

    def remember_key(self, key_id: str, public_key: str) -> None:
        """Publish a public key (once) so auditors can pin it."""
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT INTO signing_keys (key_id, public_key, first_used) VALUES (?, ?, ?) "
                "ON CONFLICT (key_id) DO NOTHING",
                (key_id, public_key, datetime.now(UTC).isoformat()),
            )

    def add(self, checkpoint: Checkpoint) -> None:
        """Keep a checkpoint."""
        with self._db.transaction() as tx:
            tx.execute(
                f"INSERT INTO checkpoints ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                tuple(checkpoint.to_json().values()),
            )

    def checkpoints(self) -> list[Checkpoint]:
        """Every checkpoint, oldest first."""
        with self._db.transaction() as tx:
            rows = tx.execute(
                f"SELECT {_COLUMNS} FROM checkpoints ORDER BY sequence, signed_at"  # noqa: S608
            )
        return [
            Checkpoint(int(q), int(p), str(h), str(t), str(s), str(k), str(g))
            for q, p, h, t, s, k, g in rows
        ]

    def announce(self, announcement: KeyAnnouncement) -> None:
        """Keep a key announcement (once per new key)."""
        with self._db.transaction() as tx:
            tx.execute(
                f"INSERT INTO key_announcements ({_ANNOUNCED}) VALUES (?, ?, ?, ?, ?, ?) "  # noqa: S608
                "ON CONFLICT (new_key_id) DO NOTHING",
                tuple(announcement.to_json().values()),
            )

    def announcements(self) -> list[KeyAnnouncement]:
        """Every key announcement, oldest first."""
        with self._db.transaction() as tx:
            rows = tx.execute(
                f"SELECT {_ANNOUNCED} FROM key_announcements ORDER BY announced_at"  # noqa: S608
            )
        return [KeyAnnouncement(*(str(v) for v in row)) for row in rows]

    def public_keys(self) -> list[tuple[str, str, str]]:
        """Every public key that has signed: (key id, PEM, first used)."""
        with self._db.transaction() as tx:
            rows = tx.execute(
                "SELECT key_id, public_key, first_used FROM signing_keys ORDER BY first_used"
            )
        return [(str(k), str(p), str(f)) for k, p, f in rows]
