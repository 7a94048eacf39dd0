"""The replay's reading in a child process gives what reading in this one gives.

The child reads and merges the partitions, this process decodes: the same
records in the same order, unreadable ones named the same way, and a child
that cannot reach Kafka says so as this process's own reader would.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import pytest
from kafka import KafkaProducer

from consumers.audit.read_ahead import BATCH, merged_events_ahead
from consumers.audit.reader import Located, merged_events
from consumers.messaging.broker import BrokerUnavailableError, new_reader
from infra.local.broker import LocalBroker
from registry.config import Settings
from registry.record.messages import PublishedEvent
from tests.integration.test_audit_memory import publish

pytestmark = pytest.mark.postgres

TOPIC = "ahead.partner-events"


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
    # given a history longer than several hand-overs, and a record that is not an event
    publish(broker.bootstrap_servers, TOPIC, 3 * BATCH + 17)
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers)
    producer.send(TOPIC, key=b"x", value=b"not json", headers=[("ce_specversion", b"1.0")])
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
    assert [s for _, s in ahead if isinstance(s, str)] == [
        "unknown_type: ce_type '' is not a partner event"
    ]


def test_a_child_that_cannot_reach_kafka_says_so() -> None:
    settings = Settings(kafka_bootstrap_servers="127.0.0.1:9")

    with pytest.raises(BrokerUnavailableError, match=r"reading nothing\.partner-events failed"):
        list(merged_events_ahead(settings, "nothing.partner-events"))
