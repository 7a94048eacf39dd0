"""The read models in a database: current partners, audit trail, chain head, offsets.

A batch of events, the chain check and the consumer offsets are written in
one transaction, so a crash can neither apply an event twice nor skip one,
and a re-sent record (same sequence) is recognised and ignored. The SQL
(``projections.sql``) runs unchanged on PostgreSQL and SQLite through
``registry.sqldb``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson
from more_itertools import chunked

from projections import sql
from projections.audit_trail import (
    GENESIS_HEAD,
    AuditEntry,
    ChainHead,
    entry_of,
    extend,
    verify_trail,
)
from projections.current_partners import PartnerRow, apply
from projections.point_in_time import register_as_of
from projections.sql import LIVE, NEXT, TableSet
from registry.chain import GENESIS
from registry.messages import PublishedEvent
from registry.sqldb import Database, Tx

Offsets = Mapping[tuple[str, int], int]
CHANGES_CHANNEL = "partner_registry_read_models"
_PAGE = 1000
_LAST_CREATED = "rm_generation"
_FIRST_PAGE = 50


class ConflictingRecordError(Exception):
    """A record re-uses a sequence already in the trail with different content."""

    def __init__(self, sequence: int) -> None:
        super().__init__(
            f"a record with sequence {sequence} differs from the entry already in the "
            "audit trail: one of them was altered"
        )
        self.sequence = sequence


class ModelsRebuiltError(Exception):
    """The read models were rebuilt and swapped in since this consumer last wrote."""


@dataclass(frozen=True)
class Applied:
    """What one batch did to the read models."""

    new: int
    duplicates: int
    chain_head: ChainHead


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


class ReadModelStore:
    """Writes and reads the read models; see the module docstring."""

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

    def setup(self) -> None:
        """Create the tables if they do not exist (safe for processes starting together).

        Once they exist nothing is run: the DDL's table locks, taken beside a
        runner applying a batch, deadlocked with it on PostgreSQL. The tables
        are created in one transaction, so the last one existing means all do.
        """
        with self.transaction() as tx:
            if self._db.has_table(tx, _LAST_CREATED):
                return
        with self.transaction() as tx:
            self._db.serialise(tx, "partner-registry:read-models")
            if self._db.has_table(tx, _LAST_CREATED):
                return
            self._create(tx, LIVE)
            for statement in sql.CREATE_SHARED:
                tx.execute(statement)

    def generation(self) -> int:
        """How many times the models have been swapped in (1 at first)."""
        with self.transaction() as tx:
            return int(tx.execute("SELECT generation FROM rm_generation")[0][0])

    def apply(self, events: Sequence[PublishedEvent], offsets: Offsets, generation: int) -> Applied:
        """Apply a batch and save the offsets after it, all or nothing.

        Two consumers briefly owning one partition (during a rebalance) can
        collide on a row; the loser's transaction is retried, and then sees
        the winner's rows as duplicates.
        """
        for _ in range(2):
            try:
                return self._apply_batch(events, offsets, generation)
            except self._db.retryable:
                continue
        return self._apply_batch(events, offsets, generation)

    def _apply_batch(
        self, events: Sequence[PublishedEvent], offsets: Offsets, generation: int
    ) -> Applied:
        with self.transaction() as tx:
            self._check_generation(tx, generation)
            applied = self._apply(tx, LIVE, events)
            self._save_offsets(tx, offsets)
            self._db.notify(tx, CHANGES_CHANNEL)
            return applied

    def offsets(self, topic: str) -> dict[int, int]:
        """The saved next offset of each partition of the topic."""
        with self.transaction() as tx:
            rows = tx.execute(
                "SELECT partition, next_offset FROM rm_consumer WHERE topic = ?", (topic,)
            )
        return {int(partition): int(offset) for partition, offset in rows}

    def save_end_offsets(self, topic: str, ends: Mapping[int, int]) -> None:
        """Remember the broker's end offsets, for the lag report."""
        now = _now()
        with self.transaction() as tx:
            tx.executemany(sql.SAVE_END_OFFSET, [(end, now, topic, p) for p, end in ends.items()])

    def consumer_status(self) -> list[ConsumerStatus]:
        """Offsets, end offsets and lag of every partition consumed."""
        with self.transaction() as tx:
            rows = tx.execute(
                "SELECT topic, partition, next_offset, end_offset, updated_at FROM rm_consumer "
                "ORDER BY topic, partition"
            )
        return [ConsumerStatus(str(t), int(p), int(n), e, str(u)) for t, p, n, e, u in rows]

    def chain_head(self) -> ChainHead:
        """The last verified entry of the audit trail."""
        with self.transaction() as tx:
            return self._chain_head(tx, LIVE, lock=False)

    def partner(self, partner_id: str) -> PartnerRow | None:
        """One partner's row."""
        with self.transaction() as tx:
            rows = tx.execute(sql.select_partners(LIVE, "WHERE partner_id = ?"), (partner_id,))
        return _partner_row(rows[0]) if rows else None

    def partners(self) -> list[PartnerRow]:
        """Every partner row, by partner id."""
        return self._partners("ORDER BY partner_id")

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
        after = 0
        while page := self._entries("WHERE sequence > ? ORDER BY sequence LIMIT ?", (after, _PAGE)):
            yield from page
            after = page[-1].sequence

    def recent_verified(self, limit: int) -> list[AuditEntry]:
        """The latest verified entries, oldest first."""
        return self._entries(sql.verified_before_latest(), (limit,))[::-1]

    def verified_entries(self, after: int, limit: int) -> list[AuditEntry]:
        """Entries of the verified trail after a sequence number, in order."""
        return self._entries(sql.verified_after(LIVE), (after, limit))

    def in_effect_by(self, day: date) -> list[AuditEntry]:
        """Verified entries effective on or before ``day``, in order."""
        return self._entries(sql.verified_in_effect_by(), (day.isoformat(),))

    def register_on(self, day: date) -> list[PartnerRow]:
        """The register as it stood at the end of ``day``."""
        return [s.row for s in register_as_of(self.in_effect_by(day), day)]

    def partner_entries(self, partner_id: str) -> list[AuditEntry]:
        """One partner's verified entries, in order."""
        return self._entries(sql.verified_of_partner(), (partner_id,))

    def verify(self) -> ChainHead:
        """Recompute the whole stored trail's chain; raise ChainBrokenError if altered."""
        return verify_trail(self.all_entries())

    def rebuild(
        self,
        events: Iterable[PublishedEvent],
        offsets: Offsets,
        on_progress: Callable[[Sequence[PublishedEvent]], None] = lambda _: None,
    ) -> ChainHead:
        """Build fresh tables from ``events``, then swap them in at once."""
        with self.transaction() as tx:
            for statement in sql.drop_tables(NEXT):
                tx.execute(statement)
            self._create(tx, NEXT)
        head = GENESIS_HEAD
        for batch in chunked(events, _PAGE):
            with self.transaction() as tx:
                head = self._apply(tx, NEXT, batch).chain_head
            on_progress(batch)
        with self.transaction() as tx:
            tx.execute("UPDATE rm_generation SET generation = generation + 1")
            for statement in sql.swap_in(NEXT, LIVE):
                tx.execute(statement)
            tx.execute("DELETE FROM rm_consumer")
            self._save_offsets(tx, offsets)
        return head

    def _create(self, tx: Tx, tables: TableSet) -> None:
        for statement in sql.create_tables(tables):
            tx.execute(statement, (GENESIS,) if "INSERT" in statement else ())

    def _check_generation(self, tx: Tx, generation: int) -> None:
        current = int(tx.execute(sql.select_generation(self._db.share_suffix))[0][0])
        if current != generation:
            raise ModelsRebuiltError

    def _apply(self, tx: Tx, tables: TableSet, events: Sequence[PublishedEvent]) -> Applied:
        fresh = self._new_entries(tx, tables, events)
        entries = [entry for _, entry in fresh]
        head = self._extend_chain(tx, tables, entries)
        tx.insert_rows(tables.audit, sql.AUDIT_COLUMNS, [_entry_params(e) for e in entries])
        self._apply_to_partners(tx, tables, [event for event, _ in fresh])
        return Applied(new=len(fresh), duplicates=len(events) - len(fresh), chain_head=head)

    def _new_entries(
        self, tx: Tx, tables: TableSet, events: Sequence[PublishedEvent]
    ) -> list[tuple[PublishedEvent, AuditEntry]]:
        """The events not yet in the trail; a known sequence must be the same entry."""
        known: dict[int, AuditEntry] = {}
        for chunk in chunked(sorted({e.sequence for e in events}), 500):
            condition, params = tx.where_in("sequence", chunk)
            rows = tx.execute(sql.select_entries(tables, f"WHERE {condition}"), params)
            known.update((int(r[0]), _entry(r)) for r in rows)
        fresh = []
        for event in events:
            entry = entry_of(event)
            if entry.sequence in known:
                if known[entry.sequence] != entry:
                    raise ConflictingRecordError(entry.sequence)
                continue
            known[entry.sequence] = entry
            fresh.append((event, entry))
        return fresh

    def _apply_to_partners(
        self, tx: Tx, tables: TableSet, events: Sequence[PublishedEvent]
    ) -> None:
        ids = sorted({e.partner_id for e in events})
        rows: dict[str, PartnerRow] = {}
        for chunk in chunked(ids, 500):
            condition, params = tx.where_in("partner_id", chunk)
            found = tx.execute(sql.select_partners(tables, f"WHERE {condition}"), params)
            rows.update((str(r[0]), _partner_row(r)) for r in found)
        changed: set[str] = set()
        for event in events:
            row = rows.get(event.partner_id)
            if row is not None and event.record["version"] <= row.version:
                continue
            rows[event.partner_id] = apply(row, event.record, event.position)
            changed.add(event.partner_id)
        tx.executemany(
            sql.upsert_partner(tables), [_partner_params(rows[p]) for p in sorted(changed)]
        )

    def _extend_chain(self, tx: Tx, tables: TableSet, arriving: Sequence[AuditEntry]) -> ChainHead:
        """Verify the trail as far as it now runs unbroken, before the batch is stored.

        The chain continues through the entries arriving now and those stored
        earlier that were waiting for a predecessor; the arriving ones are
        checked from memory rather than read back.
        """
        start = self._chain_head(tx, tables, lock=True)
        following = sorted((e for e in arriving if e.sequence > start.sequence), key=_sequence_of)
        waiting = self._stored_after(tx, tables, start.sequence)
        head = extend(start, heapq.merge(following, waiting, key=_sequence_of))
        if head != start:
            tx.execute(sql.update_chain(tables), (head.sequence, head.chain_hash))
        return head

    def _stored_after(self, tx: Tx, tables: TableSet, after: int) -> Iterator[AuditEntry]:
        """Stored entries after a sequence, in order, read a page at a time as needed.

        The first page is small: usually the chain stops at a gap right away.
        """
        size = _FIRST_PAGE
        while True:
            query = sql.select_entries(tables, "WHERE sequence > ? ORDER BY sequence LIMIT ?")
            page = [_entry(r) for r in tx.execute(query, (after, size))]
            yield from page
            if len(page) < size:
                return
            after, size = page[-1].sequence, _PAGE

    def _chain_head(self, tx: Tx, tables: TableSet, *, lock: bool) -> ChainHead:
        suffix = self._db.lock_suffix if lock else ""
        row = tx.execute(sql.select_chain(tables, suffix))[0]
        return ChainHead(int(row[0]), str(row[1]))

    def _save_offsets(self, tx: Tx, offsets: Offsets) -> None:
        now = _now()
        tx.executemany(
            sql.SAVE_OFFSET,
            [(topic, partition, offset, now) for (topic, partition), offset in offsets.items()],
        )

    def _partners(self, where: str, params: Sequence[Any] = ()) -> list[PartnerRow]:
        with self.transaction() as tx:
            return [_partner_row(r) for r in tx.execute(sql.select_partners(LIVE, where), params)]

    def _entries(self, where: str, params: Sequence[Any] = ()) -> list[AuditEntry]:
        with self.transaction() as tx:
            return [_entry(r) for r in tx.execute(sql.select_entries(LIVE, where), params)]


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _partner_row(row: Sequence[Any]) -> PartnerRow:
    values = dict(zip(sql.PARTNER_COLUMNS, row, strict=True))
    values["open_warnings"] = tuple(orjson.loads(values["open_warnings"]))
    values["version"], values["position"] = int(values["version"]), int(values["position"])
    return PartnerRow(**values)


def _partner_params(row: PartnerRow) -> tuple[Any, ...]:
    values = row.to_json()
    values["open_warnings"] = orjson.dumps(
        values["open_warnings"], option=orjson.OPT_SORT_KEYS
    ).decode()
    return tuple(values[c] for c in sql.PARTNER_COLUMNS)


def _sequence_of(entry: AuditEntry) -> int:
    return entry.sequence


def _entry(row: Sequence[Any]) -> AuditEntry:
    values = dict(zip(sql.AUDIT_COLUMNS, row, strict=True))
    for name in ("sequence", "position", "version"):
        values[name] = int(values[name])
    return AuditEntry(**values)


def _entry_params(entry: AuditEntry) -> tuple[Any, ...]:
    return tuple(getattr(entry, c) for c in sql.AUDIT_COLUMNS)
