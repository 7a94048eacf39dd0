"""Relay position and lead in PostgreSQL: a row, and a session advisory lock.

The lock is held by the same connection that advances the position, so the
lock and the right to write are lost together: if the connection dies,
PostgreSQL releases the lock (a standby takes over) and this relay's next
write fails instead of racing the new leader.
"""

from __future__ import annotations

import psycopg

from consumers.relay.positions import LeadershipLostError, RecordPosition, RelayPositions

_CREATE = """
CREATE TABLE IF NOT EXISTS relay_position (
    name text PRIMARY KEY,
    notification_id bigint NOT NULL,
    sequence bigint NOT NULL,
    chain_hash text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
)
"""
_SEED = """
INSERT INTO relay_position (name, notification_id, sequence, chain_hash)
VALUES (%s, 0, 0, %s) ON CONFLICT (name) DO NOTHING
"""
_SETUP_LOCK = "SELECT pg_advisory_xact_lock(hashtext('partner-registry:relay-setup'))"
_LOCK = "SELECT pg_try_advisory_lock(hashtextextended(current_schema() || ':relay:' || %s, 0))"
_LOAD = "SELECT notification_id, sequence, chain_hash FROM relay_position WHERE name = %s"
_ADVANCE = """
UPDATE relay_position
SET notification_id = %s, sequence = %s, chain_hash = %s, updated_at = now()
WHERE name = %s AND notification_id = %s AND sequence = %s AND chain_hash = %s
"""


class PostgresRelayPositions(RelayPositions):
    """Positions in the ``relay_position`` table of the store's schema."""

    def __init__(self, url: str, name: str, genesis: str) -> None:
        self._url = url
        self._name = name
        self._genesis = genesis
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None
        self._leading = False

    def try_lead(self) -> bool:
        """Hold the advisory lock for this relay name; standbys keep asking."""
        if self._leading:
            return True
        conn = self._connection()
        row = conn.execute(_LOCK, (self._name,)).fetchone()
        self._leading = bool(row and row[0])
        return self._leading

    def _connection(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self._url, autocommit=True, connect_timeout=5)
            with self._conn.transaction():
                self._conn.execute(_SETUP_LOCK)
                self._conn.execute(_CREATE)
                self._conn.execute(_SEED, (self._name, self._genesis))
        return self._conn

    def load(self) -> RecordPosition:
        """Read the position with the leading connection."""
        row = self._execute(_LOAD, (self._name,)).fetchone()
        if row is None:
            raise LeadershipLostError("the relay position row is missing")
        notification_id, sequence, chain_hash = row
        return RecordPosition(int(str(notification_id)), int(str(sequence)), str(chain_hash))

    def advance(self, expected: RecordPosition, new: RecordPosition) -> None:
        """Compare-and-set the position."""
        params = (
            new.notification_id, new.sequence, new.chain_hash, self._name,
            expected.notification_id, expected.sequence, expected.chain_hash,
        )  # fmt: skip
        if self._execute(_ADVANCE, params).rowcount != 1:
            self.close()
            raise LeadershipLostError("another relay moved the position")

    def close(self) -> None:
        """Closing the session releases the advisory lock."""
        conn, self._conn, self._leading = self._conn, None, False
        if conn is not None:
            conn.close()

    def _execute(
        self, query: str, params: tuple[object, ...]
    ) -> psycopg.Cursor[tuple[object, ...]]:
        if self._conn is None or not self._leading:
            raise LeadershipLostError("this relay is not leading")
        try:
            return self._conn.execute(query, params)
        except psycopg.OperationalError as error:
            self.close()
            raise LeadershipLostError(f"lost the database connection: {error}") from error
