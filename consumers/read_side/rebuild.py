"""Where a rebuild reads the whole history from: the events topic, or the event store.

The topic is read from its first offset to the end it had when the rebuild
began, without a consumer group; the offsets reached are handed to the
store so runners continue from there. The store is the fallback when Kafka
has lost the history: it yields the same numbered, chained records the
relay publishes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import structlog
from kafka import TopicPartition

from registry.record.log_verification import signed_head_problem
from registry.record.messages import MalformedMessageError, PublishedEvent, decode_event
from registry.record.note import Verifier
from registry.record.public_record import START, read_after
from registry.service.application import PartnerRegistry

log = structlog.get_logger(__name__)


@dataclass
class TopicHistory:
    """The events of a topic, read once; ``offsets`` is complete once exhausted."""

    reader: Any
    topic: str
    total: int
    verifiers: list[Verifier]
    offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    skipped: int = 0

    def events(self) -> Iterator[PublishedEvent]:
        """Every decodable record, partition by partition as polled; others are skipped."""
        partitions = [
            TopicPartition(self.topic, p) for p in self.reader.partitions_for_topic(self.topic)
        ]
        self.reader.assign(partitions)
        self.reader.seek_to_beginning()
        ends = self.reader.end_offsets(partitions)
        while any(self.reader.position(tp) < ends[tp] for tp in partitions):
            for records in self.reader.poll(timeout_ms=1000, max_records=1000).values():
                yield from self._decoded(records)
        self.offsets = {(self.topic, tp.partition): self.reader.position(tp) for tp in partitions}

    def _decoded(self, records: list[Any]) -> Iterator[PublishedEvent]:
        """The readable records the log's key signed; the rest are skipped, as the runner does."""
        for record in records:
            try:
                event = decode_event(record.key, record.value, record.headers)
            except MalformedMessageError as error:
                self._skip(record, str(error))
                continue
            problem = signed_head_problem(event, self.verifiers)
            if problem is None:
                yield event
            else:
                self._skip(record, ": ".join(problem))

    def _skip(self, record: Any, why: str) -> None:
        self.skipped += 1
        log.warning("skipping a record", offset=record.offset, partition=record.partition, why=why)


def topic_history(reader: Any, topic: str, verifiers: list[Verifier]) -> TopicHistory | None:
    """The topic's history, or None when the topic is missing or empty."""
    partitions = reader.partitions_for_topic(topic)
    if not partitions:
        return None
    ends = reader.end_offsets([TopicPartition(topic, p) for p in partitions])
    total = sum(ends.values())
    return TopicHistory(reader, topic, total, verifiers) if total > 0 else None


def store_history(registry: PartnerRegistry) -> Iterator[PublishedEvent]:
    """Every partner event in the store, numbered and chained as the relay does."""
    position = START
    while True:
        events, position = read_after(registry, position, 1000)
        if not events:
            return
        yield from events
