"""The runner's side of the read models: apply a batch, save offsets, rebuild.

A batch of events, the chain check and the consumer offsets are written in
one transaction, so a crash can neither apply an event twice nor skip one,
and a re-sent record (same sequence) is recognised and ignored. The SQL
(``projections.storage.schema``) runs unchanged on PostgreSQL and SQLite
through ``registry.adapters.sqldb``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import orjson
from more_itertools import chunked

from projections.audit_trail import (
    GENESIS_HEAD,
    AuditEntry,
    ChainHead,
    entry_of,
    extend_until_broken,
)
from projections.current_partners import PartnerRow, apply
from projections.storage import rows, schema
from projections.storage.queries import PAGE, ReadModelDatabase
from projections.storage.schema import LIVE, NEXT, TableSet
from registry.adapters.sqldb import Tx
from registry.record.chain import GENESIS
from registry.record.log_verification import note_root
from registry.record.merkle import Frontier, leaf_hash
from registry.record.messages import PublishedEvent
from registry.service.records import PublicRecord

Offsets = Mapping[tuple[str, int], int]
Signed = Callable[[str], bool]
Refuse = Callable[[Sequence[int]], None]
CHANGES_CHANNEL = "partner_registry_read_models"
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
    """What one batch did to the read models.

    ``broken`` is the sequence of a record refused when the trail reached it,
    and ``broken_reason`` why: its hash does not follow from the trail before
    it (``chain_break``) or the log's signed tree does not end in it
    (``altered``), or its checkpoint's signature does not verify (``forged``).
    It was not kept, so the genuine record can take its place.
    ``waited`` counts the entries that joined the trail from storage, having
    arrived before a predecessor: each costs a write, a read and a check more.
    ``conflicting`` are the indexes of the events left out because they
    contradict the record already taken at their sequence.
    """

    new: int
    duplicates: int
    chain_head: ChainHead
    broken: int | None = None
    broken_reason: str = ""
    waited: int = 0
    conflicting: tuple[int, ...] = ()


class ReadModelWriter(ReadModelDatabase):
    """Writes the read models; see the module docstring."""

    def setup(self) -> None:
        """Create the tables if they do not exist (safe for processes starting together).

        Once they exist nothing is run: the DDL's table locks, taken beside a
        runner applying a batch, deadlocked with it on PostgreSQL. The tables
        are created in one transaction, so the last one existing means all do.
        Tables of an older version are dropped first: the models are derived,
        and the runner, finding no saved offsets, reads the topic again.
        """
        with self.transaction() as tx:
            if self._db.has_table(tx, schema.SCHEMA_MARK):
                return
        with self.transaction() as tx:
            self._db.serialise(tx, "partner-registry:read-models")
            if self._db.has_table(tx, schema.SCHEMA_MARK):
                return
            for statement in schema.drop_everything():
                tx.execute(statement)
            self._create(tx, LIVE)
            self._db.substring_index(tx, LIVE.name_index, LIVE.partners, "name_key")
            for statement in schema.CREATE_SHARED:
                tx.execute(statement)

    def offsets(self, topic: str) -> dict[int, int]:
        """The saved next offset of each partition of the topic."""
        with self.transaction() as tx:
            found = tx.execute(
                "SELECT partition, next_offset FROM rm_consumer WHERE topic = ?", (topic,)
            )
        return {int(partition): int(offset) for partition, offset in found}

    def apply(
        self,
        events: Sequence[PublishedEvent],
        offsets: Offsets,
        generation: int,
        signed: Signed | None = None,
        refuse: Refuse | None = None,
    ) -> Applied:
        """Apply a batch and save the offsets after it, all or nothing.

        ``signed`` tells whether a checkpoint's signature verifies with a
        trusted log key; without it only the signed roots are compared (the
        caller verified every signature itself). Events that contradict the
        record taken at their sequence (in the trail, or earlier in the batch)
        are left out and handed to ``refuse`` (by index) before the batch
        commits, so that they are dead-lettered at least once; without it,
        they raise ``ConflictingRecordError`` and nothing is applied.

        Two consumers briefly owning one partition (during a rebalance) can
        collide on a row; the loser's transaction is retried, and then sees
        the winner's rows as duplicates.
        """
        for _ in range(2):
            try:
                return self._apply_batch(events, offsets, generation, signed, refuse)
            except self._db.retryable:
                continue
        return self._apply_batch(events, offsets, generation, signed, refuse)

    def save_end_offsets(self, topic: str, ends: Mapping[int, int]) -> None:
        """Remember the broker's end offsets, for the lag report."""
        now = rows.now()
        with self.transaction() as tx:
            tx.executemany(
                schema.SAVE_END_OFFSET, [(end, now, topic, p) for p, end in ends.items()]
            )

    def rebuild(
        self,
        events: Iterable[PublishedEvent],
        offsets: Offsets,
        on_progress: Callable[[Sequence[PublishedEvent]], None] = lambda _: None,
    ) -> ChainHead:
        """Build fresh tables from ``events``, then swap them in at once."""
        with self.transaction() as tx:
            for statement in schema.drop_tables(NEXT):
                tx.execute(statement)
            self._create(tx, NEXT)
        head = GENESIS_HEAD
        for batch in chunked(events, PAGE):
            with self.transaction() as tx:
                applied = self._apply(tx, NEXT, batch)
                _hand_over_conflicts(applied, batch, refuse=None)
            head = applied.chain_head
            on_progress(batch)
        with self.transaction() as tx:
            tx.execute("UPDATE rm_generation SET generation = generation + 1")
            for statement in schema.swap_in(NEXT, LIVE):
                tx.execute(statement)
            self._db.substring_index(tx, LIVE.name_index, LIVE.partners, "name_key")
            tx.execute("DELETE FROM rm_consumer")
            self._save_offsets(tx, offsets)
        return head

    def _apply_batch(
        self,
        events: Sequence[PublishedEvent],
        offsets: Offsets,
        generation: int,
        signed: Signed | None,
        refuse: Refuse | None,
    ) -> Applied:
        with self.transaction() as tx:
            self._check_generation(tx, generation)
            applied = self._apply(tx, LIVE, events, signed)
            _hand_over_conflicts(applied, events, refuse)
            self._save_offsets(tx, offsets)
            self._db.notify(tx, CHANGES_CHANNEL)
            return applied

    def _create(self, tx: Tx, tables: TableSet) -> None:
        for statement in schema.create_tables(tables):
            tx.execute(statement, (GENESIS,) if "INSERT" in statement else ())

    def _check_generation(self, tx: Tx, generation: int) -> None:
        current = int(tx.execute(schema.select_generation(self._db.share_suffix))[0][0])
        if current != generation:
            raise ModelsRebuiltError

    def _apply(
        self,
        tx: Tx,
        tables: TableSet,
        events: Sequence[PublishedEvent],
        signed: Signed | None = None,
    ) -> Applied:
        """Keep the new entries, extend the verified trail, and fold only what it verified.

        Partner rows change only for entries the chain has just reached, in
        sequence order (entries waiting for a predecessor change nothing the
        public sees until then); an entry that breaks the chain is not kept.
        """
        fresh, conflicting = self._new_entries(tx, tables, events)
        entries = [entry for _, entry in fresh]
        head, joined, broken, why = self._extend_chain(tx, tables, entries, signed)
        if broken is not None:
            entries = [e for e in entries if e.sequence != broken.sequence]
            tx.execute(f"DELETE FROM {tables.audit} WHERE sequence = ?", (broken.sequence,))  # noqa: S608
        verified = {e.sequence for e in joined}
        tx.insert_rows(tables.audit, schema.AUDIT_COLUMNS, [
            rows.entry_params(e, verified=e.sequence in verified)
            for e in entries
        ])  # fmt: skip
        arrived = {event.sequence: event for event, _ in fresh}
        waited = [e.sequence for e in joined if e.sequence not in arrived]
        if waited:
            tx.execute(schema.forget_checkpoints(tables), (waited[0], waited[-1]))
        self._apply_to_partners(
            tx, tables, [arrived.get(e.sequence) or _event_of(e) for e in joined]
        )
        return Applied(
            new=len(entries), duplicates=len(events) - len(fresh), chain_head=head,
            broken=None if broken is None else broken.sequence, broken_reason=why,
            waited=len(waited), conflicting=conflicting,
        )  # fmt: skip

    def _new_entries(
        self, tx: Tx, tables: TableSet, events: Sequence[PublishedEvent]
    ) -> tuple[list[tuple[PublishedEvent, AuditEntry]], tuple[int, ...]]:
        """The events not yet in the trail, and (by index) those contradicting a known entry."""
        known: dict[int, AuditEntry] = {}
        for chunk in chunked(sorted({e.sequence for e in events}), 500):
            condition, params = tx.where_in("sequence", chunk)
            found = tx.execute(schema.select_entries(tables, f"WHERE {condition}"), params)
            known.update((int(r[0]), rows.entry(r)) for r in found)
        fresh, conflicting = [], []
        for index, event in enumerate(events):
            entry = entry_of(event)
            if entry.sequence in known:
                if known[entry.sequence] != entry:
                    conflicting.append(index)
                continue
            known[entry.sequence] = entry
            fresh.append((event, entry))
        return fresh, tuple(conflicting)

    def _apply_to_partners(
        self, tx: Tx, tables: TableSet, events: Sequence[PublishedEvent]
    ) -> None:
        """Fold the events that joined the verified trail, in order, into the partner rows."""
        ids = sorted({e.partner_id for e in events})
        partners: dict[str, PartnerRow] = {}
        for chunk in chunked(ids, 500):
            condition, params = tx.where_in("partner_id", chunk)
            found = tx.execute(schema.select_partners(tables, f"WHERE {condition}"), params)
            partners.update((str(r[0]), rows.partner_row(r)) for r in found)
        changed: set[str] = set()
        for event in events:
            row = partners.get(event.partner_id)
            if row is not None and event.record["version"] <= row.version:
                continue
            partners[event.partner_id] = apply(row, event.record, event.position)
            changed.add(event.partner_id)
        tx.executemany(
            schema.upsert_partner(tables),
            [rows.partner_params(partners[p]) for p in sorted(changed)],
        )

    def _extend_chain(
        self, tx: Tx, tables: TableSet, arriving: Sequence[AuditEntry], signed: Signed | None
    ) -> tuple[ChainHead, list[AuditEntry], AuditEntry | None, str]:
        """Verify the trail as far as it now runs unbroken, before the batch is stored.

        The chain continues through the entries arriving now and those stored
        earlier that were waiting for a predecessor; the arriving ones are
        checked from memory rather than read back. Returns the new head, the
        entries that joined the trail, and the entry that broke it, if any, and why.
        The log must have signed the tree the trail makes (``_TreeCheck``),
        whose right edge is kept with the head.
        """
        row = tx.execute(schema.select_chain(tables, self._db.lock_suffix))[0]
        start = ChainHead(int(row[0]), str(row[1]))
        tree = _TreeCheck(Frontier.from_text(start.sequence, str(row[2])), signed)
        following = sorted((e for e in arriving if e.sequence > start.sequence), key=_sequence_of)
        waiting = self._stored_after(tx, tables, start.sequence)
        merged = heapq.merge(following, waiting, key=_sequence_of)
        head, joined, broken = extend_until_broken(start, merged, tree.accepts)
        bad = tree.first_bad(joined)
        if bad is not None:
            head = ChainHead(joined[bad - 1].sequence, joined[bad - 1].chain_hash) if bad else start
            joined, broken = joined[:bad], joined[bad]
        if head != start:
            tx.execute(
                schema.update_chain(tables),
                (head.sequence, head.chain_hash, tree.frontier.to_text()),
            )
        why = "" if broken is None else (tree.refused or "chain_break")
        return head, joined, broken, why

    def _stored_after(self, tx: Tx, tables: TableSet, after: int) -> Iterator[AuditEntry]:
        """Stored entries after a sequence, in order, read a page at a time as needed.

        The first page is small: usually the chain stops at a gap right away.
        """
        size = _FIRST_PAGE
        while True:
            query = schema.select_entries(tables, "WHERE sequence > ? ORDER BY sequence LIMIT ?")
            page = [rows.entry(r) for r in tx.execute(query, (after, size))]
            yield from page
            if len(page) < size:
                return
            after, size = page[-1].sequence, PAGE

    def _save_offsets(self, tx: Tx, offsets: Offsets) -> None:
        now = rows.now()
        tx.executemany(
            schema.SAVE_OFFSET,
            [(topic, partition, offset, now) for (topic, partition), offset in offsets.items()],
        )


def _hand_over_conflicts(
    applied: Applied, events: Sequence[PublishedEvent], refuse: Refuse | None
) -> None:
    """Give the conflicting events to ``refuse``; without it, refuse the whole batch."""
    if not applied.conflicting:
        return
    if refuse is None:
        raise ConflictingRecordError(events[applied.conflicting[0]].sequence)
    refuse(applied.conflicting)


def _sequence_of(entry: AuditEntry) -> int:
    return entry.sequence


def _event_of(entry: AuditEntry) -> PublishedEvent:
    """The event a stored entry keeps (its body is the record's canonical JSON, checked
    against the published schema when it arrived)."""
    record = cast(PublicRecord, orjson.loads(entry.body))
    return PublishedEvent(record, entry.position, entry.sequence, entry.chain_hash)


class _TreeCheck:
    """The log's tree as the trail grows, and the check that the log signed it.

    The last entry an extension joins must carry a checkpoint stating the
    root of the tree the trail then makes, signed by a trusted key: that
    signed tree covers every leaf before it, so one comparison and one
    Ed25519 verification vouch for the whole extension. Only when they fail
    is each entry checked, to stop the trail just before the first one that
    was altered (its root differs) or forged (its signature does not verify).
    """

    def __init__(self, frontier: Frontier, signed: Signed | None) -> None:
        self._start = frontier
        self.frontier = frontier.copy()
        self.refused = ""
        self._signed = signed

    def accepts(self, entry: AuditEntry) -> bool:
        self.frontier.append(leaf_hash(entry.body.encode("utf-8")))
        return True

    def first_bad(self, joined: Sequence[AuditEntry]) -> int | None:
        """Where the first joined entry the log did not sign stands, or None."""
        if not joined or (joined[-1].checkpoint and not self._problem(joined[-1], self.frontier)):
            return None
        tree = self._start.copy()
        for index, entry in enumerate(joined):
            before = tree.copy()
            tree.append(leaf_hash(entry.body.encode("utf-8")))
            if entry.checkpoint and (problem := self._problem(entry, tree)):
                self.frontier, self.refused = before, problem
                return index
        self.frontier = tree
        return None

    def _problem(self, entry: AuditEntry, tree: Frontier) -> str:
        if note_root(entry.checkpoint) != tree.root():
            return "altered"
        if self._signed is not None and not self._signed(entry.checkpoint):
            return "forged"
        return ""
