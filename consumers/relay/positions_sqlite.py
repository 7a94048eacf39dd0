"""Relay position and lead in the SQLite file: a row, and an exclusive file lock.

The operating system releases a process's file lock when it dies, so a
standby relay on the same machine takes over from a killed one.
"""

from __future__ import annotations

import fcntl
import sqlite3
from pathlib import Path
from typing import IO

from consumers.relay.positions import LeadershipLostError, RecordPosition, RelayPositions

_CREATE = """
CREATE TABLE IF NOT EXISTS relay_position (
    name TEXT PRIMARY KEY,
    notification_id INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
    chain_hash TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
)
"""
_SEED = """
INSERT OR IGNORE INTO relay_position (name, notification_id, sequence, chain_hash)
VALUES (?, 0, 0, ?)
"""
_LOAD = "SELECT notification_id, sequence, chain_hash FROM relay_position WHERE name = ?"
_ADVANCE = """
UPDATE relay_position
SET notification_id = ?, sequence = ?, chain_hash = ?, updated_at = CURRENT_TIMESTAMP
WHERE name = ? AND notification_id = ? AND sequence = ? AND chain_hash = ?
"""


class SqliteRelayPositions(RelayPositions):
    """Positions in the ``relay_position`` table of the store's SQLite file."""

    def __init__(self, path: str, name: str, genesis: str) -> None:
        self._path = path
        self._name = name
        self._genesis = genesis
        self._lock_file: IO[bytes] | None = None
        self._conn: sqlite3.Connection | None = None

    def try_lead(self) -> bool:
        """Hold the lock file beside the database, without waiting for it."""
        if self._lock_file is not None:
            return True
        lock_file = Path(f"{self._path}.relay-{self._name}.lock").open("ab")  # noqa: SIM115
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            return False
        self._lock_file = lock_file
        self._conn = sqlite3.connect(self._path, isolation_level=None, timeout=30)
        self._conn.execute(_CREATE)
        self._conn.execute(_SEED, (self._name, self._genesis))
        return True

    def load(self) -> RecordPosition:
        """Read the position."""
        row = self._connection().execute(_LOAD, (self._name,)).fetchone()
        return RecordPosition(int(row[0]), int(row[1]), str(row[2]))

    def advance(self, expected: RecordPosition, new: RecordPosition) -> None:
        """Compare-and-set the position."""
        params = (
            new.notification_id, new.sequence, new.chain_hash, self._name,
            expected.notification_id, expected.sequence, expected.chain_hash,
        )  # fmt: skip
        if self._connection().execute(_ADVANCE, params).rowcount != 1:
            self.close()
            raise LeadershipLostError("another relay moved the position")

    def close(self) -> None:
        """Release the connection and the lock."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise LeadershipLostError("this relay is not leading")
        return self._conn
