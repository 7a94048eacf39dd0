"""Reading a topic the way an outside auditor does: from offset zero, no group, nothing committed.

Each partition is read by its own consumer, lazily, up to the end it had
when reading began; the partitions are merged back into sequence order by
always taking the smallest sequence at the head of any partition. Memory
stays bounded by what one poll holds per partition, however long the record.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kafka import TopicPartition

from registry.record.messages import (
    MalformedMessageError,
    PublishedEvent,
    decode_announcement,
    decode_checkpoint,
    decode_event,
    decode_witnessed,
    is_announcement,
    is_witnessed,
)
from registry.record.signing import Checkpoint, KeyAnnouncement

ReaderFactory = Callable[..., Any]
# What one consumer may hold in memory at once: a bounded read, however long the topic.
# With fetches this small, kafka-python's poll often finds nothing fetchable
# for a moment and sleeps its retry backoff (100 ms by default): 42 such
# sleeps were half of a 20,000-record replay. A short backoff keeps it reading.
BOUNDED_FETCH = {
    "max_partition_fetch_bytes": 1024 * 1024,
    "fetch_max_bytes": 2048 * 1024,
    "retry_backoff_ms": 5,
}
# Records handed over per poll: parsed records cost about three times their bytes.
RECORDS_PER_POLL = 1000


@dataclass(frozen=True)
class Unreadable:
    """A record that could not be read as what the topic should hold."""

    where: str
    reason: str


Item = PublishedEvent | Unreadable


@dataclass(frozen=True)
class Located:
    """An item and where on the topic it was."""

    item: Item
    where: str


def partition_records(new_reader: ReaderFactory, topic: str, partition: int) -> Iterator[Any]:
    """Every record of one partition, first to the end it had when asked.

    Some brokers (Tansu) give the last batch's first offset plus one as the
    end, so reaching it may leave the rest of that batch fetched but not yet
    handed over: it is drained before the reader closes.
    """
    reader = new_reader(**BOUNDED_FETCH)
    try:
        tp = TopicPartition(topic, partition)
        reader.assign([tp])
        reader.seek_to_beginning(tp)
        end = reader.end_offsets([tp])[tp]
        while reader.position(tp) < end:
            yield from _polled(reader, timeout_ms=1000)
        while drained := list(_polled(reader, timeout_ms=0)):
            yield from drained
    finally:
        reader.close()


def _polled(reader: Any, timeout_ms: int) -> Iterator[Any]:
    for records in reader.poll(timeout_ms=timeout_ms, max_records=RECORDS_PER_POLL).values():
        yield from records


def partitions_of(new_reader: ReaderFactory, topic: str) -> list[int]:
    """The topic's partition numbers (none if the topic does not exist).

    Asked of the topic list first: kafka-python asked for the partitions of
    a missing topic retries its metadata for seconds before saying none.
    """
    probe = new_reader()
    try:
        if topic not in probe.topics():
            return []
        return sorted(probe.partitions_for_topic(topic) or [])
    finally:
        probe.close()


def merged_events(new_reader: ReaderFactory, topic: str) -> Iterator[Located]:
    """The topic's events in sequence order, each decoded (or named unreadable) here."""
    for partition, record in merged_records(new_reader, topic):
        yield located(partition, record.offset, record.key, record.value, record.headers)


def merged_records(new_reader: ReaderFactory, topic: str) -> Iterator[tuple[int, Any]]:
    """The topic's records, undecoded, in the order of their ``ce_sequence`` header.

    Each partition is in sequence order already; a record without a readable
    sequence sorts first, so it never holds back the records after it.
    """
    partitions = partitions_of(new_reader, topic)
    streams = [_sequenced(partition_records(new_reader, topic, p), p) for p in partitions]
    for _, partition, _, record in heapq.merge(*streams):
        yield partition, record


def located(
    partition: int, offset: int, key: bytes | None, value: bytes | None,
    headers: list[tuple[str, bytes | None]],
) -> Located:  # fmt: skip
    """A record decoded, or named unreadable, with where on the topic it was."""
    where = place(partition, offset)
    try:
        return Located(decode_event(key, value, headers), where)
    except MalformedMessageError as error:
        return Located(Unreadable(where, str(error)), where)


def place(partition: int, offset: int) -> str:
    """Where a record is on the topic, as findings name it."""
    return f"partition {partition} offset {offset}"


@dataclass
class Signatures:
    """What the checkpoints topic holds: checkpoints, key announcements, unreadable records."""

    checkpoints: list[Checkpoint] = field(default_factory=list)
    announcements: list[KeyAnnouncement] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    witnessed: list[tuple[str, str]] = field(default_factory=list)
    """Signed notes with cosignatures, and where on the topic each was."""


def read_checkpoints(new_reader: ReaderFactory, topic: str) -> Signatures:
    """Every checkpoint and key announcement on the checkpoints topic, and what was neither."""
    found = Signatures()
    for partition in partitions_of(new_reader, topic):
        for record in partition_records(new_reader, topic, partition):
            where = f"{topic}[{partition}]@{record.offset}"
            try:
                if is_witnessed(record.headers):
                    found.witnessed.append((where, decode_witnessed(record.value)))
                elif is_announcement(record.headers):
                    found.announcements.append(decode_announcement(record.value))
                else:
                    found.checkpoints.append(decode_checkpoint(record.value))
            except MalformedMessageError as error:
                found.unreadable.append(Unreadable(where, str(error)))
    return found


def _sequenced(records: Iterator[Any], partition: int) -> Iterator[tuple[int, int, int, Any]]:
    """(sequence, partition, n, record): n keeps the merge from ever comparing records."""
    for number, record in enumerate(records):
        yield _sequence_of(record.headers), partition, number, record


def _sequence_of(headers: list[tuple[str, bytes | None]] | None) -> int:
    for name, value in headers or ():
        if name == "ce_sequence" and value is not None and value.isdigit():
            return int(value)
    return -1
