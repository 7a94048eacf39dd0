"""Our own tables in an SQLite file: a connection per thread, writers in turn."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from registry.adapters.sqldb import Database, Tx


class _SqliteTx(Tx):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(query, params).fetchall()

    def executemany(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._conn.executemany(query, rows)


class SqliteDatabase(Database):
    """SQLite in WAL mode; BEGIN IMMEDIATE makes writers take turns."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """A transaction on this thread's connection."""
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield _SqliteTx(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def serialise(self, tx: Tx, name: str) -> None:
        """BEGIN IMMEDIATE already makes every writer take its turn."""

    def notify(self, tx: Tx, channel: str) -> None:
        """SQLite has no notifications: listeners poll."""

    def substring_index(self, tx: Tx, name: str, table: str, column: str) -> None:
        """None: SQLite has no index for a substring; the search reads the table.

        Fine for the registers an embedded database holds; PostgreSQL indexes it.
        """

    def has_table(self, tx: Tx, name: str) -> bool:
        """Looked up in the schema table."""
        query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        return bool(tx.execute(query, (name,)))

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self._path, isolation_level=None, timeout=30, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn
