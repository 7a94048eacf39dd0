"""The transparency log's tables beside the event store: subtrees, leaves, signed heads.

The relay appends to them as it publishes; the HTTP API serves checkpoints,
tiles and proofs from them. Every row, once written, never changes: a
subtree's hash and a leaf are fixed the moment its last record is numbered,
so writing one again (a relay re-sending after a crash) changes nothing.
Hashes are stored as hex and leaves as the records' canonical JSON text,
the same on PostgreSQL and SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from registry.adapters.sqldb import OwnTables

_CREATE = [
    """CREATE TABLE IF NOT EXISTS tlog_subtrees (
        level INTEGER NOT NULL, idx BIGINT NOT NULL, hash TEXT NOT NULL,
        PRIMARY KEY (level, idx))""",
    """CREATE TABLE IF NOT EXISTS tlog_leaves (idx BIGINT PRIMARY KEY, leaf TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS tlog_checkpoints (
        size BIGINT PRIMARY KEY, note TEXT NOT NULL, signed_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS tlog_cosignatures (
        size BIGINT NOT NULL, witness TEXT NOT NULL, line TEXT NOT NULL,
        PRIMARY KEY (size, witness))""",
]

Node = tuple[int, int, bytes]


class MissingSubtreeError(LookupError):
    """A subtree the log has not stored (beyond its size)."""


class LogStore(OwnTables):
    """The log's rows in the store's database."""

    CREATE = _CREATE
    LOCK = "partner-registry:tlog"

    def append(
        self, first: int, leaves: Sequence[bytes], nodes: Sequence[Node], size: int, note: str
    ) -> None:
        """Keep leaves from index ``first``, the subtrees they complete, and the new head."""
        with self._db.transaction() as tx:
            tx.insert_missing(
                "tlog_leaves", ("idx", "leaf"), "idx",
                [(first + i, leaf.decode()) for i, leaf in enumerate(leaves)],
            )  # fmt: skip
            tx.insert_missing(
                "tlog_subtrees", ("level", "idx", "hash"),
                "level, idx", [(level, index, digest.hex()) for level, index, digest in nodes],
            )  # fmt: skip
            tx.execute(
                "INSERT INTO tlog_checkpoints (size, note, signed_at) VALUES (?, ?, ?) "
                "ON CONFLICT (size) DO NOTHING",
                (size, note, datetime.now(UTC).isoformat()),
            )

    def subtree(self, level: int, index: int) -> bytes:
        """The root of a complete subtree the log holds."""
        with self._db.transaction() as tx:
            rows = tx.execute(
                "SELECT hash FROM tlog_subtrees WHERE level = ? AND idx = ?", (level, index)
            )
        if not rows:
            raise MissingSubtreeError(f"no subtree {index} at level {level}")
        return bytes.fromhex(str(rows[0][0]))

    def subtrees(self, level: int, start: int, count: int) -> list[bytes]:
        """Consecutive subtree roots at one level (a row of a hash tile)."""
        with self._db.transaction() as tx:
            rows = tx.execute(
                "SELECT hash FROM tlog_subtrees WHERE level = ? AND idx >= ? AND idx < ? "
                "ORDER BY idx",
                (level, start, start + count),
            )
        return [bytes.fromhex(str(r[0])) for r in rows]

    def leaves(self, start: int, count: int) -> list[bytes]:
        """Consecutive leaves (records' canonical bytes) from index ``start``."""
        with self._db.transaction() as tx:
            rows = tx.execute(
                "SELECT leaf FROM tlog_leaves WHERE idx >= ? AND idx < ? ORDER BY idx",
                (start, start + count),
            )
        return [str(r[0]).encode() for r in rows]

    def latest(self) -> tuple[int, str] | None:
        """The newest signed head: its tree size and signed note."""
        with self._db.transaction() as tx:
            rows = tx.execute("SELECT size, note FROM tlog_checkpoints ORDER BY size DESC LIMIT 1")
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def add_cosignature(self, size: int, witness: str, line: str) -> None:
        """Keep a witness's (verified) cosignature of the signed head of ``size``."""
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT INTO tlog_cosignatures (size, witness, line) VALUES (?, ?, ?) "
                "ON CONFLICT (size, witness) DO NOTHING",
                (size, witness, line),
            )

    def published(self, quorum: int) -> tuple[int, str] | None:
        """The newest signed head with at least ``quorum`` cosignatures, which it carries.

        With no quorum that is the newest head, with whatever cosignatures
        it has so far; with one, clients that require it always find a
        checkpoint they can check.
        """
        with self._db.transaction() as tx:
            if quorum == 0:
                rows = tx.execute("SELECT max(size) FROM tlog_checkpoints")
            else:
                rows = tx.execute(
                    "SELECT max(size) FROM (SELECT size FROM tlog_cosignatures GROUP BY size "
                    "HAVING count(*) >= ?) AS witnessed",
                    (quorum,),
                )
            if rows[0][0] is None:
                return None
            size = int(rows[0][0])
            note = tx.execute("SELECT note FROM tlog_checkpoints WHERE size = ?", (size,))
            lines = tx.execute(
                "SELECT line FROM tlog_cosignatures WHERE size = ? ORDER BY witness", (size,)
            )
        return size, str(note[0][0]) + "".join(str(r[0]) for r in lines)
