"""The read models in PostgreSQL (the store's own database, or another)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors
from psycopg_pool import ConnectionPool

from projections.store import ReadModelStore, Tx

CHANGES_CHANNEL = "partner_registry_read_models"


class _PostgresTx(Tx):
    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor

    def execute(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._cursor.execute(query.replace("?", "%s"), params)
        return self._cursor.fetchall() if self._cursor.description else []

    def executemany(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._cursor.executemany(query.replace("?", "%s"), rows)


class PostgresReadModelStore(ReadModelStore):
    """Read models in PostgreSQL; writers lock the chain head row to take turns."""

    lock_suffix = " FOR UPDATE"
    share_suffix = " FOR SHARE"
    retryable = (errors.UniqueViolation, errors.SerializationFailure, errors.DeadlockDetected)

    def __init__(self, url: str, max_connections: int = 4) -> None:
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            kwargs={"connect_timeout": 5},
            open=True,
            check=ConnectionPool.check_connection,
        )

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """A transaction on a pooled connection."""
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            yield _PostgresTx(cursor)

    def serialise_setup(self, tx: Tx) -> None:
        """CREATE TABLE IF NOT EXISTS races in PostgreSQL; a transaction lock orders it."""
        tx.execute("SELECT pg_advisory_xact_lock(hashtext('partner-registry:read-models'))")

    def announce_change(self, tx: Tx) -> None:
        """NOTIFY on commit, so listeners refresh at once."""
        tx.execute(f"NOTIFY {CHANGES_CHANNEL}")

    def close(self) -> None:
        """Close the pool."""
        self._pool.close()
