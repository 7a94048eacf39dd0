"""The auditor's reader gets every record, whatever the broker says the end is."""

from __future__ import annotations

from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from consumers.audit.reader import RECORDS_PER_POLL, partition_records
from infra.local.broker import LocalBroker

pytestmark = pytest.mark.postgres


def publish_in_one_batch(bootstrap: str, topic: str, count: int) -> None:
    KafkaAdminClient(bootstrap_servers=bootstrap).create_topics([NewTopic(topic, 1, 1)])
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=1_000, batch_size=1 << 20)
    for number in range(count):
        producer.send(topic, value=str(number).encode(), partition=0)
    producer.flush()
    producer.close()


def test_a_last_batch_larger_than_one_poll_is_read_to_its_end() -> None:
    count = RECORDS_PER_POLL * 10
    with LocalBroker() as broker:
        # given a partition whose one batch holds ten polls' worth of records
        # (Tansu reports the last batch's first offset plus one as the end)
        publish_in_one_batch(broker.bootstrap_servers, "one-batch", count)

        def reader(**options: Any) -> KafkaConsumer:
            return KafkaConsumer(bootstrap_servers=broker.bootstrap_servers, **options)

        # when the partition is read
        values = [int(r.value) for r in partition_records(reader, "one-batch", 0)]

    # then every record is there, in order
    assert values == list(range(count))
