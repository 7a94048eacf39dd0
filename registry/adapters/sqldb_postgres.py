"""Our own tables in PostgreSQL: a connection pool, row locks, advisory locks, NOTIFY."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
import structlog
from psycopg import errors, sql
from psycopg_pool import ConnectionPool

from registry.adapters.sqldb import Database, Tx

log = structlog.get_logger(__name__)

# psycopg_pool retries a lost connection with doubling delays until this many
# seconds have passed, then lets the next request start afresh; its default
# (five minutes) would keep a service waiting minutes after the database is back.
RECONNECT_SECONDS = 10.0


class _PostgresTx(Tx):
    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor

    def execute(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._cursor.execute(query.replace("?", "%s"), params)
        return self._cursor.fetchall() if self._cursor.description else []

    def executemany(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._cursor.executemany(query.replace("?", "%s"), rows)

    def where_in(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """One array parameter: psycopg parses a statement of hundreds of ``%s`` slowly."""
        return f"{column} = ANY(?)", [list(values)]

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """COPY: several times faster than INSERTs for a batch of audit entries."""
        if not rows:
            return
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        with self._cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def insert_missing(
        self, table: str, columns: Sequence[str], key: str, rows: Sequence[Sequence[Any]]
    ) -> None:
        """COPY, since almost always none of the rows is there yet (five to ten times faster
        than INSERTs, with or without arrays); a batch sent again after a crash, where some
        are, falls back to INSERTs that skip them."""
        if not rows:
            return
        try:
            with self._cursor.connection.transaction():
                self.insert_rows(table, columns, rows)
        except errors.UniqueViolation:
            super().insert_missing(table, columns, key, rows)


class PostgresDatabase(Database):
    """PostgreSQL through a small pool that drops broken connections."""

    lock_suffix = " FOR UPDATE"
    share_suffix = " FOR SHARE"
    byte_order = ' COLLATE "C"'
    retryable = (errors.UniqueViolation, errors.SerializationFailure, errors.DeadlockDetected)

    def substring_index(self, tx: Tx, name: str, table: str, column: str) -> None:
        """A trigram index (pg_trgm, a trusted extension: a user with CREATE on the database
        may add it, in ``public``).

        Its operator class is named in the schema the extension is in, which
        need not be on this connection's search path. A user who may neither
        add the extension nor use it still gets working read models: the
        search then reads every row, and a warning says why.
        """
        tx.execute("SAVEPOINT substring_index")
        try:
            tx.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
            found = tx.execute("SELECT extnamespace::regnamespace::text FROM pg_extension"
                               " WHERE extname = 'pg_trgm'")  # fmt: skip
            ops = f"{found[0][0]}.gin_trgm_ops"
            tx.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} {ops})")
        except (errors.InsufficientPrivilege, errors.InvalidSchemaName, errors.UndefinedFile,
                errors.UndefinedObject) as refused:  # fmt: skip
            tx.execute("ROLLBACK TO SAVEPOINT substring_index")
            log.warning("no trigram index: a search by name reads every row", reason=str(refused))
        else:
            tx.execute("RELEASE SAVEPOINT substring_index")

    def __init__(self, url: str, min_connections: int = 1, max_connections: int = 10) -> None:
        self._pool = ConnectionPool(
            url,
            min_size=min_connections,
            max_size=max_connections,
            kwargs={"connect_timeout": 5},
            open=True,
            check=ConnectionPool.check_connection,
            timeout=5,
            reconnect_timeout=RECONNECT_SECONDS,
        )

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """A transaction on a pooled connection."""
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            yield _PostgresTx(cursor)

    @contextmanager
    def snapshot(self) -> Iterator[Tx]:
        """REPEATABLE READ: read committed would give each statement a moment of its own."""
        with self.transaction() as tx:
            tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield tx

    def serialise(self, tx: Tx, name: str) -> None:
        """A transaction-scoped advisory lock on the name."""
        tx.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (name,))

    def notify(self, tx: Tx, channel: str) -> None:
        """NOTIFY, delivered when the transaction commits."""
        tx.execute(sql.SQL("NOTIFY {}").format(sql.Identifier(channel)).as_string())

    def has_table(self, tx: Tx, name: str) -> bool:
        """Resolved on the connection's search path, as the statements' names are."""
        return bool(tx.execute("SELECT to_regclass(?) IS NOT NULL", (name,))[0][0])

    def close(self) -> None:
        """Close the pool."""
        self._pool.close()
