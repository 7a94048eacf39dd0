"""The relay's work before Kafka: read the next events from the store and sign them.

A batch is only computed here; the relay keeps its log rows (``keep``) once
Kafka has acknowledged it, or ``forget``s it when the send failed, and it
is read and signed again, identically, when re-sent.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from consumers.relay.transparency_log import LogRows, SignedLeaves, TransparencyLog, leaves_of
from registry.record.merkle import Frontier, leaf_hash
from registry.record.messages import PublishedEvent
from registry.record.public_record import RecordPosition, read_after
from registry.service.application import PartnerRegistry


@dataclass(frozen=True)
class SignedBatch:
    """Events to publish, each with its checkpoint, and what publishing them keeps."""

    events: list[PublishedEvent]
    position: RecordPosition
    """Where the public record stands after these events."""
    log_rows: LogRows | None


class Batches(Protocol):
    """Where the relay gets its next batch (``BatchReader``, or ``ReadingAhead``)."""

    def next(self, position: RecordPosition) -> SignedBatch:
        """The events after ``position``, signed (none when there are none)."""

    def keep(self, batch: SignedBatch) -> None:
        """Keep the batch's log rows: Kafka has acknowledged it."""

    def forget(self) -> None:
        """Drop what was signed and not kept: the send failed."""

    def close(self) -> None:
        """Release the connections."""


class BatchReader:
    """Reads up to ``limit`` events after a position and signs them."""

    def __init__(self, registry: PartnerRegistry, log: TransparencyLog | None, limit: int) -> None:
        self._registry = registry
        self._log = log
        self._limit = limit

    @property
    def limit(self) -> int:
        """The most events a batch holds: a full batch means more are waiting."""
        return self._limit

    def next(self, position: RecordPosition) -> SignedBatch:
        """The batch after ``position``, read and signed here."""
        return self.signed(*self.read(position))

    def read(self, position: RecordPosition) -> tuple[list[PublishedEvent], RecordPosition]:
        """The events after ``position``, not yet signed, and the position after them."""
        return read_after(self._registry, position, self._limit)

    def signed(
        self,
        events: list[PublishedEvent],
        after: RecordPosition,
        leaves: SignedLeaves | None = None,
    ) -> SignedBatch:
        """The events, each with its checkpoint: signed here, or as ``leaves`` were elsewhere."""
        if self._log is None or not events:
            return SignedBatch(events, after, None)
        notes, rows = self._log.sign(events, leaves)
        signed = [replace(e, checkpoint=n) for e, n in zip(events, notes, strict=True)]
        return SignedBatch(signed, after, rows)

    def to_sign(self, events: list[PublishedEvent]) -> tuple[Frontier, list[bytes]] | None:
        """What signing ``events`` elsewhere takes: the log's edge as last signed, leaf hashes."""
        frontier = None if self._log is None else self._log.frontier()
        if frontier is None or not events or frontier.size != events[0].sequence - 1:
            return None
        return frontier, [leaf_hash(leaf) for leaf in leaves_of(events)]

    def keep(self, batch: SignedBatch) -> None:
        """Keep the batch's log rows: Kafka has acknowledged it."""
        if self._log is not None and batch.log_rows is not None:
            self._log.keep(batch.log_rows)

    def forget(self) -> None:
        """Drop what was signed and not kept: the next batch is signed from the log as kept."""
        if self._log is not None:
            self._log.forget()

    def close(self) -> None:
        """Release the log's connections (the registry is its owner's to close)."""
        if self._log is not None:
            self._log.close()
