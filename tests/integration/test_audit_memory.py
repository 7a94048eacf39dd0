"""Replay holds the register, not the events: memory stays flat as the history grows.

Two separate claims, each measured where it is deterministic: the replay's
own state does not grow with the events it has folded, and reading the
topic from the broker holds a bounded window of records, not the topic.
(Comparing two end-to-end peaks was not: the reader's peak depends on how
the three partitions' fetches happen to coincide, which varies run to run.)

The window is what the fetches hold, so its size is a setting: the
replay's 1 MiB fetches hold about 24 MB whether the topic holds 40,000
events (25 MB) or 80,000 (49 MB). Reading with fetches a thirty-second of
that size (32 KiB a partition) shows the same laziness on a history short
enough for the suite: 20,000 events (12 MB) held 1.2 to 2.1 MB at once.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from consumers.audit.reader import Unreadable, merged_events
from infra.local.broker import LocalBroker
from projections.audit_replay import Replay, ReplayReport
from registry.record.messages import PublishedEvent, encode_event
from tests.builders import long_history

pytestmark = pytest.mark.postgres

PARTNERS = 10
# A seen-bit and a four-byte digest per sequence, with room for the arrays to grow.
BYTES_PER_EVENT = 16
SMALL_FETCH = {"max_partition_fetch_bytes": 32 * 1024, "fetch_max_bytes": 64 * 1024}
T = TypeVar("T")


def publish(bootstrap: str, topic: str, count: int) -> int:
    """Publish a synthetic history; the bytes of its values."""
    KafkaAdminClient(bootstrap_servers=bootstrap).create_topics([NewTopic(topic, 3, 1)])
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    size = 0
    for event in long_history(count, PARTNERS):
        message = encode_event(event, source="urn:synthetic")
        producer.send(topic, key=message.key, value=message.value, headers=message.headers)
        size += len(message.value)
    producer.flush()
    producer.close()
    return size


def peak_memory(work: Callable[[], T]) -> tuple[int, T]:
    tracemalloc.start()
    try:
        result = work()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, result


def replay_in_memory(events: Iterator[PublishedEvent]) -> ReplayReport:
    run = Replay([], None)
    for event in events:
        run.event(event, f"sequence {event.sequence}")
    return run.finish()


def replay_from_broker(bootstrap: str, topic: str) -> ReplayReport:
    run = Replay([], None)

    def reader(**options: Any) -> KafkaConsumer:
        return KafkaConsumer(bootstrap_servers=bootstrap, **(options | SMALL_FETCH))

    for located in merged_events(reader, topic):
        if isinstance(located.item, Unreadable):
            run.unreadable(located.where, located.item.reason)
        else:
            run.event(located.item, located.where)
    return run.finish()


def test_replaying_five_times_the_history_costs_only_bytes_per_event() -> None:
    # given a short and a five times longer history of the same ten partners
    # when each is replayed
    short_peak, short = peak_memory(lambda: replay_in_memory(long_history(4_000, PARTNERS)))
    long_peak, long = peak_memory(lambda: replay_in_memory(long_history(20_000, PARTNERS)))

    # then both are whole, and each extra event cost the few bytes of its
    # seen-bit and digest, not the hundreds of bytes of the event itself
    assert short.whole
    assert long.whole
    assert (short.events, long.events) == (4_000, 20_000)
    assert len(long.register) == PARTNERS
    assert (long_peak - short_peak) / 16_000 <= BYTES_PER_EVENT, (short_peak, long_peak)


def test_reading_the_topic_from_the_broker_holds_a_window_not_the_history() -> None:
    # given twenty thousand events on a three-partition topic
    with LocalBroker() as broker:
        history_bytes = publish(broker.bootstrap_servers, "long", 20_000)

        # when an auditor replays the topic from the broker
        peak, report = peak_memory(lambda: replay_from_broker(broker.bootstrap_servers, "long"))

    # then every event is read, and what was held at once is a small part of it
    assert report.whole
    assert report.events == 20_000
    assert peak <= history_bytes // 4, (history_bytes, peak)
