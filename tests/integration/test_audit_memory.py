"""Replay holds the register, not the events: memory stays flat as the history grows."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from consumers.audit_reader import Unreadable, merged_events
from infra.local.broker import LocalBroker
from projections.audit_replay import Replay
from registry.chain import GENESIS, chain_hash
from registry.messages import PublishedEvent, encode_event
from tests.builders import TODAY, decision, findings, records_of, registered

pytestmark = pytest.mark.postgres

PARTNERS = 10


def synthetic_history(count: int) -> Iterator[PublishedEvent]:
    """Ten partners, then evaluation after evaluation: a long record of constant breadth."""
    partners = [registered() for _ in range(PARTNERS)]
    previous = GENESIS
    for sequence in range(1, count + 1):
        partner = partners[(sequence - 1) % PARTNERS]
        if sequence > PARTNERS:
            partner.evaluate(findings(), [], decision(), today=TODAY)
        (record,) = records_of(partner)
        previous = chain_hash(previous, record)
        yield PublishedEvent(record, sequence, sequence, previous)


def publish(bootstrap: str, topic: str, count: int) -> None:
    KafkaAdminClient(bootstrap_servers=bootstrap).create_topics([NewTopic(topic, 3, 1)])
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    for event in synthetic_history(count):
        message = encode_event(event, source="urn:synthetic")
        producer.send(topic, key=message.key, value=message.value, headers=message.headers)
    producer.flush()
    producer.close()


def peak_replay_memory(bootstrap: str, topic: str) -> tuple[int, Any]:
    tracemalloc.start()
    run = Replay([], None)

    def reader(**options: Any) -> KafkaConsumer:
        return KafkaConsumer(bootstrap_servers=bootstrap, **options)

    for located in merged_events(reader, topic):
        if isinstance(located.item, Unreadable):
            run.unreadable(located.where, located.item.reason)
        else:
            run.event(located.item, located.where)
    report = run.finish()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, report


def test_replaying_five_times_the_history_needs_no_more_memory() -> None:
    with LocalBroker() as broker:
        publish(broker.bootstrap_servers, "short", 4_000)
        publish(broker.bootstrap_servers, "long", 20_000)

        short_peak, short = peak_replay_memory(broker.bootstrap_servers, "short")
        long_peak, long = peak_replay_memory(broker.bootstrap_servers, "long")

    assert short.whole
    assert long.whole
    assert (short.events, long.events) == (4_000, 20_000)
    assert len(long.register) == PARTNERS
    assert long_peak <= short_peak * 1.10, (short_peak, long_peak)
