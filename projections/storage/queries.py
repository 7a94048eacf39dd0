"""Named questions to the read models, for the API, the feed publisher and the auditors.

Each question is a method with its SQL inside this module, so no caller
writes SQL and every query the read side asks can be found here. Only the
live tables are read; the runner's writer lives in ``writer.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date
from typing import Any

from projections.audit_trail import AuditEntry, ChainHead, verify_trail
from projections.current_partners import PartnerRow
from projections.point_in_time import PointInTime, StandingAsOf, partner_at, register_at
from projections.storage import rows, schema
from projections.storage.schema import LIVE
from registry.adapters.sqldb import Database, Tx
from registry.record.merkle import Frontier

PAGE = 1000


@dataclass(frozen=True)
class ConsumerStatus:
    """How far a consumer has read one partition, and how far behind it is."""

    topic: str
    partition: int
    next_offset: int
    end_offset: int | None
    updated_at: str

    @property
    def lag(self) -> int | None:
        """Records not yet read, as far as the broker's end offset tells."""
        return None if self.end_offset is None else max(self.end_offset - self.next_offset, 0)


class ReadModelDatabase:
    """The database the read models live in, shared by the writer and the queries."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def database(self) -> Database:
        """The read-model database, for tables kept beside the models (part health)."""
        return self._db

    def transaction(self) -> AbstractContextManager[Tx]:
        """A transaction on the read-model database."""
        return self._db.transaction()

    def close(self) -> None:
        """Release the connections."""
        self._db.close()

    def generation(self) -> int:
        """How many times the models have been swapped in (1 at first)."""
        with self.transaction() as tx:
            return int(tx.execute("SELECT generation FROM rm_generation")[0][0])


class ReadModelQueries(ReadModelDatabase):
    """Every question the read side answers from the live read models."""

    @contextmanager
    def snapshot(self) -> Iterator[ReadModelQueries]:
        """These questions, answered from one moment of the read models in one transaction.

        A feed states the chain head it was rendered at: asked apart, a
        runner's commit between the head and the rows would give a feed whose
        rows are not those of the head it states. One transaction is also one
        connection check and one BEGIN for all the questions, not one each.
        """
        with self._db.snapshot() as tx:
            yield _Snapshot(self._db, tx)

    def consumer_status(self) -> list[ConsumerStatus]:
        """Offsets, end offsets and lag of every partition consumed."""
        with self.transaction() as tx:
            found = tx.execute(
                "SELECT topic, partition, next_offset, end_offset, updated_at FROM rm_consumer "
                "ORDER BY topic, partition"
            )
        return [ConsumerStatus(str(t), int(p), int(n), e, str(u)) for t, p, n, e, u in found]

    def chain_head(self) -> ChainHead:
        """The last verified entry of the audit trail."""
        with self.transaction() as tx:
            row = _chain_row(tx)
        return ChainHead(int(row[0]), str(row[1]))

    def head_with_root(self) -> tuple[ChainHead, bytes]:
        """The chain head and the root of the log's tree it ends, read together."""
        with self.transaction() as tx:
            row = _chain_row(tx)
        sequence = int(row[0])
        return ChainHead(sequence, str(row[1])), Frontier.from_text(sequence, str(row[2])).root()

    def partner(self, partner_id: str) -> PartnerRow | None:
        """One partner's row."""
        found = self._partners("WHERE partner_id = ?", (partner_id,))
        return found[0] if found else None

    def partners(self) -> list[PartnerRow]:
        """Every partner row, by partner id."""
        return self._partners("ORDER BY partner_id")

    def search(
        self, text: str | None, status: str | None, limit: int, offset: int
    ) -> tuple[list[PartnerRow], int]:
        """A page of the register now, by name: names containing ``text``, of ``status``.

        And how many match in all. Answered by the database, not by reading
        every row: on PostgreSQL a trigram index finds the names containing
        the text (its plan: ``docs/benchmarks.md``). Names compare case-folded,
        and sort by their code points as Python sorts them.
        """
        conditions, params = [], []
        if text and (key := rows.search_key(text)):
            conditions.append("name_key LIKE ? ESCAPE '!'")
            params.append(f"%{_like_escaped(key)}%")
        if status is not None:
            conditions.append("status = ?")
            params.append(status)
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        order = f"ORDER BY name_key{self._db.byte_order}, partner_id LIMIT ? OFFSET ?"
        with self.transaction() as tx:
            total = tx.execute(schema.count_partners(LIVE, where), params)[0][0]
            found = tx.execute(schema.select_partners(LIVE, f"{where} {order}"),
                               (*params, limit, offset))  # fmt: skip
        return [rows.partner_row(r) for r in found], int(total)

    def partners_after(self, position: int, limit: int) -> list[PartnerRow]:
        """The partner rows changed by an event after this store position, oldest change first,
        up to ``limit`` (a page: a whole register of rows at once weighed hundreds of MB)."""
        return self._partners("WHERE position > ? ORDER BY position LIMIT ?", (position, limit))

    def entry_at(self, sequence: int) -> AuditEntry | None:
        """The stored entry with this sequence, verified or still waiting."""
        found = self._entries("WHERE sequence = ?", (sequence,))
        return found[0] if found else None

    def has_entries_after(self, sequence: int) -> bool:
        """Whether any entry, verified or waiting, comes after this sequence."""
        return bool(self._entries("WHERE sequence > ? LIMIT 1", (sequence,)))

    def entries_of_version(self, partner_id: str, version: int) -> list[AuditEntry]:
        """Every stored entry of one partner's version (one, unless something went wrong)."""
        return self._entries("WHERE partner_id = ? AND version = ?", (partner_id, version))

    def all_entries(self) -> Iterator[AuditEntry]:
        """Every stored entry, verified or waiting, in sequence order, a page at a time."""
        return _paged(lambda after: self._entries("WHERE sequence > ? ORDER BY sequence LIMIT ?",
                                                  (after, PAGE)))  # fmt: skip

    def all_verified(self) -> Iterator[AuditEntry]:
        """The whole verified trail, in sequence order, a page at a time."""
        return _paged(lambda after: self.verified_entries(after, PAGE))

    def recent_verified(self, limit: int) -> list[AuditEntry]:
        """The latest verified entries, oldest first."""
        return self._entries(schema.verified_before_latest(), (limit,))[::-1]

    def verified_entries(self, after: int, limit: int) -> list[AuditEntry]:
        """Entries of the verified trail after a sequence number, in order."""
        return self._entries(schema.verified_after(LIVE), (after, limit))

    def in_effect_by(self, day: date) -> list[AuditEntry]:
        """Verified entries effective on or before ``day``, in order."""
        return self._entries(schema.verified_in_effect_by(), (day.isoformat(),))

    def register_at(self, point: PointInTime) -> list[PartnerRow]:
        """The register at a point in time (see ``projections.point_in_time``)."""
        entries = self.all_verified() if point.as_of is None else self.in_effect_by(point.as_of)
        return [s.row for s in register_at(entries, point)]

    def partner_at(self, partner_id: str, point: PointInTime) -> StandingAsOf | None:
        """One partner at a point in time, with the events that count then."""
        return partner_at(self.partner_entries(partner_id), point)

    def partner_entries(self, partner_id: str) -> list[AuditEntry]:
        """One partner's verified entries, in order."""
        return self._entries(schema.verified_of_partner(), (partner_id,))

    def verify(self) -> ChainHead:
        """Recompute the whole stored trail's chain; raise ChainBrokenError if altered."""
        return verify_trail(self.all_entries())

    def _partners(self, where: str, params: Sequence[Any] = ()) -> list[PartnerRow]:
        with self.transaction() as tx:
            found = tx.execute(schema.select_partners(LIVE, where), params)
        return [rows.partner_row(r) for r in found]

    def _entries(self, where: str, params: Sequence[Any] = ()) -> list[AuditEntry]:
        with self.transaction() as tx:
            found = tx.execute(schema.select_entries(LIVE, where), params)
        return [rows.entry(r) for r in found]


class _Snapshot(ReadModelQueries):
    """The queries, every one asked in the same transaction."""

    def __init__(self, db: Database, tx: Tx) -> None:
        super().__init__(db)
        self._tx = tx

    def transaction(self) -> AbstractContextManager[Tx]:
        """The snapshot's transaction, still open."""
        return nullcontext(self._tx)


def _like_escaped(text: str) -> str:
    """The text as a LIKE pattern matching itself (escape character ``!``)."""
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def _paged(page_after: Callable[[int], list[AuditEntry]]) -> Iterator[AuditEntry]:
    after = 0
    while page := page_after(after):
        yield from page
        after = page[-1].sequence


class ChainRowMissingError(LookupError):
    """The read models' chain head was not there to read: their tables were being swapped in.

    A reader whose statement began before a rebuild (or a first set-up)
    committed its tables can find the new chain table without its row; the
    next look finds it, so the parts wait and try again.
    """


def _chain_row(tx: Tx) -> Sequence[Any]:
    rows = tx.execute(schema.select_chain(LIVE))
    if not rows:
        msg = "the read models' chain head is missing (their tables were being swapped in)"
        raise ChainRowMissingError(msg)
    return rows[0]
