"""The replay's reading in a child process gives what reading in this one gives.

The child reads and merges the partitions and checks the headers, this
process checks the values: the same records in the same order, unreadable
ones named the same way whichever side found them, a child that cannot
reach Kafka says so as this process's own reader would, and a replay that
stops early leaves neither the child nor its thread behind.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from kafka import KafkaProducer

from consumers.audit.read_ahead import BATCH, merged_events_ahead
from consumers.audit.reader import Located, merged_events
from consumers.messaging.broker import BrokerUnavailableError, new_reader
from infra.local.broker import LocalBroker
from registry.config import Settings
from registry.record.messages import PublishedEvent, encode_event
from tests.builders import records_of, registered
from tests.integration.test_audit_memory import publish

pytestmark = pytest.mark.postgres

TOPIC = "ahead.partner-events"
EARLY = "early.partner-events"


@pytest.fixture(scope="module")
def broker() -> Iterator[LocalBroker]:
    with LocalBroker() as started:
        yield started


def _seen(items: Iterator[Located]) -> list[tuple[str, int | str]]:
    return [
        (found.where, found.item.sequence if isinstance(found.item, PublishedEvent)
         else found.item.reason)
        for found in items
    ]  # fmt: skip


def test_the_child_reads_what_this_process_reads_in_the_same_order(broker: LocalBroker) -> None:
    # given a history longer than several hand-overs, a record whose headers are not an
    # event's, and one whose headers are but whose value breaks its schema
    publish(broker.bootstrap_servers, TOPIC, 3 * BATCH + 17)
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers)
    producer.send(TOPIC, key=b"x", value=b"not json", headers=[("ce_specversion", b"1.0")])
    last = records_of(registered())[0]
    message = encode_event(PublishedEvent(last, 10**6, 10**6, "0" * 64), source="urn:test")
    producer.send(TOPIC, key=message.key, value=b'{"type": "Registered"}', headers=message.headers)
    producer.flush()
    producer.close()
    settings = Settings(kafka_bootstrap_servers=broker.bootstrap_servers)

    # when the topic is read by a child process and in this one
    ahead = _seen(merged_events_ahead(settings, TOPIC))
    here = _seen(merged_events(partial(new_reader, settings), TOPIC))

    # then both give every record, in sequence order, the unreadable one named alike
    events = [s for _, s in ahead if isinstance(s, int)]
    assert ahead == here
    assert events == list(range(1, 3 * BATCH + 18))
    refused = [s for _, s in ahead if isinstance(s, str)]
    assert refused[0] == "unknown_type: ce_type '' is not a partner event"
    assert refused[1].startswith("schema_violation: ")
    assert len(refused) == 2


def test_a_replay_that_stops_early_leaves_no_reader_behind(broker: LocalBroker) -> None:
    # given a topic far longer than what the child may read ahead
    publish(broker.bootstrap_servers, EARLY, 40 * BATCH)
    settings = Settings(kafka_bootstrap_servers=broker.bootstrap_servers)
    threads = set(threading.enumerate())

    # when the replay takes a few records, waits while the child reads as far ahead as
    # it may, and stops
    events = merged_events_ahead(settings, EARLY)
    taken = [next(events) for _ in range(3)]
    time.sleep(3)
    events.close()

    # then the records came, and the child and the thread that took its batches are gone
    assert [t.item.sequence for t in taken if isinstance(t.item, PublishedEvent)] == [1, 2, 3]
    assert set(threading.enumerate()) <= threads  # threads of earlier tests may end meanwhile
    assert not _children_reading(EARLY)


def _children_reading(topic: str) -> list[str]:
    found = []
    for status in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            line = status.read_bytes().replace(b"\0", b" ").decode()
            if "consumers.audit.read_ahead" in line and topic in line:
                found.append(line)
    return found


def test_a_child_that_cannot_reach_kafka_says_so() -> None:
    settings = Settings(kafka_bootstrap_servers="127.0.0.1:9")

    with pytest.raises(BrokerUnavailableError, match=r"reading nothing\.partner-events failed"):
        list(merged_events_ahead(settings, "nothing.partner-events"))
