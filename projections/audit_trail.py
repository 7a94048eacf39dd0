"""The audit trail: one entry per event in public-record order, chained by hash.

Entries are checked against the chain hash the relay computed: an entry is
part of the verified trail only once every entry before it is present and
its hash recomputes. A mismatch is never recorded as verified; it stops
whoever found it (see ``ChainBrokenError``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from registry.record.chain import GENESIS, canonical_json, chain_hash_of_canonical
from registry.record.messages import PublishedEvent


@dataclass(frozen=True)
class AuditEntry:
    """One event as the public audit trail shows it."""

    sequence: int
    position: int
    partner_id: str
    version: int
    event_type: str
    actor: str
    reason: str
    recorded_at: str
    effective_date: str
    body: str
    chain_hash: str
    checkpoint: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True)
class ChainHead:
    """The last entry of the verified trail (sequence 0 before the first)."""

    sequence: int
    chain_hash: str


GENESIS_HEAD = ChainHead(sequence=0, chain_hash=GENESIS)


class ChainBrokenError(Exception):
    """An entry's hash does not follow from the trail before it: the record was altered."""

    def __init__(self, sequence: int, detail: str) -> None:
        super().__init__(f"audit chain broken at sequence {sequence}: {detail}")
        self.sequence = sequence


def entry_of(event: PublishedEvent) -> AuditEntry:
    """The audit entry of a published event; the body is kept in canonical JSON."""
    record = event.record
    return AuditEntry(
        sequence=event.sequence,
        position=event.position,
        partner_id=record["partner_id"],
        version=record["version"],
        event_type=record["type"],
        actor=record["actor"],
        reason=record["reason"],
        recorded_at=record["recorded_at"],
        effective_date=record["effective_date"],
        body=canonical_json(record).decode("utf-8"),
        chain_hash=event.chain_hash,
        checkpoint=event.checkpoint,
    )


def extend(head: ChainHead, entries: Iterable[AuditEntry]) -> ChainHead:
    """Verify the entries that continue the trail after ``head``, stopping at a gap.

    ``entries`` must be in sequence order; those at or before the head are skipped.
    """
    for entry in entries:
        if entry.sequence <= head.sequence:
            continue
        if entry.sequence != head.sequence + 1:
            break
        expected = chain_hash_of_canonical(head.chain_hash, entry.body.encode("utf-8"))
        if expected != entry.chain_hash:
            raise ChainBrokenError(
                entry.sequence, f"its hash does not follow from entry {head.sequence}"
            )
        head = ChainHead(entry.sequence, entry.chain_hash)
    return head


def extend_until_broken(
    head: ChainHead,
    entries: Iterable[AuditEntry],
    accept: Callable[[AuditEntry], bool] = lambda _: True,
) -> tuple[ChainHead, list[AuditEntry], AuditEntry | None]:
    """Like ``extend``, but a breaking entry ends the walk instead of raising.

    ``accept`` is asked of each entry whose hash follows, in order; one it
    refuses breaks the walk too. Returns the new head, the entries that
    joined the trail (in order) and the entry that broke it, if one did.
    """
    joined: list[AuditEntry] = []
    for entry in entries:
        try:
            new_head = extend(head, [entry])
        except ChainBrokenError:
            return head, joined, entry
        if new_head != head and not accept(entry):
            return head, joined, entry
        if new_head != head:
            joined.append(entry)
        elif entry.sequence > head.sequence:
            break
        head = new_head
    return head, joined, None


def verify_trail(entries: Iterable[AuditEntry]) -> ChainHead:
    """Check a whole stored trail from the first entry: no gap, no altered entry."""
    head = GENESIS_HEAD
    for entry in entries:
        if entry.sequence != head.sequence + 1:
            raise ChainBrokenError(
                head.sequence + 1, f"missing (the next entry found is {entry.sequence})"
            )
        head = extend(head, [entry])
    return head
