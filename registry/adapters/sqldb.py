"""A small, shared way to run our own SQL on PostgreSQL or SQLite.

The read models and the API tokens keep tables of their own beside the
event store. Their SQL is written once, with ``?`` placeholders, in the
subset both databases accept; one module per database supplies the
connection, the transaction and the few real differences (row locks,
advisory locks, NOTIFY).
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar

import psycopg
from eventsourcing.persistence import PersistenceError
from psycopg_pool import PoolTimeout

# Every way a database says it cannot be reached (or is busy), whether through
# the event-store library, psycopg and its pool, or SQLite: one list, used by
# the API (503), the CLI (exit 5) and the long-running parts (wait and retry).
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    PersistenceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,
    PoolTimeout,
)


class Tx(ABC):
    """One open transaction."""

    @abstractmethod
    def execute(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a statement (``?`` placeholders) and return any rows."""

    @abstractmethod
    def executemany(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run a statement once per row of parameters."""

    def where_in(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """A condition that ``column`` is one of ``values``, and its parameters."""
        return f"{column} IN ({', '.join('?' for _ in values)})", list(values)

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Insert many rows; a database may do it faster than one INSERT each."""
        marks = ", ".join("?" for _ in columns)
        self.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)  # noqa: S608

    def insert_missing(
        self, table: str, columns: Sequence[str], key: str, rows: Sequence[Sequence[Any]]
    ) -> None:
        """Insert the rows whose ``key`` is not there yet."""
        names, marks = ", ".join(columns), ", ".join("?" for _ in columns)
        self.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT ({key}) DO NOTHING",  # noqa: S608
            rows,
        )


class Database(ABC):
    """A connection source for our own tables."""

    lock_suffix = ""
    share_suffix = ""
    byte_order = ""
    """What makes ORDER BY compare text by code point (SQLite's default)."""
    retryable: tuple[type[Exception], ...] = ()

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Tx]:
        """A transaction; writers queue where the database needs them to."""

    def snapshot(self) -> AbstractContextManager[Tx]:
        """A read-only transaction whose every statement sees the same moment.

        A plain transaction does where writers take turns for the whole
        database (SQLite's ``BEGIN IMMEDIATE``).
        """
        return self.transaction()

    @abstractmethod
    def serialise(self, tx: Tx, name: str) -> None:
        """Make transactions that call this with the same name take turns."""

    @abstractmethod
    def notify(self, tx: Tx, channel: str) -> None:
        """Tell listeners on ``channel`` that something changed, at commit."""

    @abstractmethod
    def substring_index(self, tx: Tx, name: str, table: str, column: str) -> None:
        """Create an index that answers ``column LIKE '%...%'``, where the database has one."""

    @abstractmethod
    def has_table(self, tx: Tx, name: str) -> bool:
        """Whether a table of that name exists where unqualified names are looked up."""

    @abstractmethod
    def close(self) -> None:
        """Release every connection."""


class OwnTables:
    """Tables of our own beside the event store, created on first use by whoever comes first.

    Subclasses name their statements and a lock; creating them under the
    lock lets processes starting together do it safely.
    """

    CREATE: ClassVar[Sequence[str]] = ()
    LOCK: ClassVar[str] = ""

    def __init__(self, db: Database) -> None:
        self._db = db

    def setup(self) -> None:
        """Create the tables if missing."""
        with self._db.transaction() as tx:
            self._db.serialise(tx, self.LOCK)
            for statement in self.CREATE:
                tx.execute(statement)

    def close(self) -> None:
        """Release the connections."""
        self._db.close()
