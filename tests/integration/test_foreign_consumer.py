"""A consumer that is not ours reads the topics using only the published documents.

It uses confluent-kafka (librdkafka), the AsyncAPI document and the JSON
Schemas under infra/, and nothing from the registry's own code: if the
documents are incomplete or wrong, this test fails.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from infra.local.broker import LocalBroker
from registry.bootstrap import build_relay
from tests.conftest import open_registry
from tests.histories import scripted_history, stored_records
from tests.kafka_helpers import relay_settings

pytestmark = pytest.mark.postgres

INFRA = Path(__file__).parents[2] / "infra"
ASYNCAPI_URI = (INFRA / "asyncapi.yaml").as_uri()


class Documents:
    """What an outside team gets: the AsyncAPI document and the schemas it names."""

    def __init__(self) -> None:
        self.asyncapi = yaml.safe_load((INFRA / "asyncapi.yaml").read_text())
        self.registry: Registry[Any] = Registry().with_resource(
            ASYNCAPI_URI, DRAFT202012.create_resource(self.asyncapi)
        )
        self.by_type = {
            message["headers"]["allOf"][1]["properties"]["ce_type"]["const"]: name
            for name, message in self.asyncapi["components"]["messages"].items()
        }

    def validate(self, headers: dict[str, str], value: bytes) -> dict[str, Any]:
        name = self.by_type[headers["ce_type"]]
        message = self.asyncapi["components"]["messages"][name]
        self._validator({"$ref": f"{ASYNCAPI_URI}#/components/messages/{name}/headers"}).validate(
            headers
        )
        payload = json.loads(value)
        schema_file = INFRA / message["payload"]["$ref"]
        self._validator(json.loads(schema_file.read_text())).validate(payload)
        body: dict[str, Any] = payload
        return body

    def _validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        return Draft202012Validator(schema, registry=self.registry, format_checker=FormatChecker())


def consume_all(bootstrap_servers: str, topic: str, count: int) -> list[Any]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": "outsider",
            "enable.auto.commit": False,
        }
    )
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    messages: list[Any] = []
    deadline = time.monotonic() + 30
    while len(messages) < count and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is not None and message.error() is None:
            messages.append(message)
    consumer.close()
    return messages


@pytest.fixture
def published(postgres_url: str) -> Iterator[tuple[LocalBroker, int]]:
    """A broker holding a scripted history published by the relay."""
    with LocalBroker() as broker:
        registry = open_registry(postgres_url)
        scripted_history(registry)
        relay = build_relay(relay_settings(postgres_url, broker.bootstrap_servers), registry)
        relay.drain()
        relay.close()
        yield broker, len(stored_records(registry))
        registry.close()


EVERY_TYPE = {
    "Registered", "DetailsAmended", "Evaluated", "Warned", "WarningWithdrawn", "WarningResolved",
    "WarningDeadlineExtended", "Suspended", "Reinstated", "Withdrawn", "Terminated",
    "ObjectionLodged", "ObjectionDecided", "Corrected",
}  # fmt: skip
"""Every kind of event the scripted history records: each must reach the outsider."""


def test_an_outside_consumer_decodes_every_event_from_the_documents_alone(
    published: tuple[LocalBroker, int],
) -> None:
    broker, count = published
    documents = Documents()

    messages = consume_all(broker.bootstrap_servers, "partner-events", count)

    assert len(messages) == count
    decoded = []
    for message in messages:
        headers = {k: v.decode() for k, v in message.headers()}
        body = documents.validate(headers, message.value())
        assert message.key().decode() == body["partner_id"] == headers["ce_subject"]
        decoded.append((int(headers["ce_sequence"]), headers["ce_chainhash"], body))
    assert {body["type"] for _, _, body in decoded} == EVERY_TYPE
    previous = "0" * 64
    for _, chain, body in sorted(decoded, key=lambda item: item[0]):
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        previous = hashlib.sha256(f"{previous}\n{canonical}".encode()).hexdigest()
        assert chain == previous


def test_an_outside_consumer_reads_the_current_state_of_each_partner(
    published: tuple[LocalBroker, int],
) -> None:
    broker, _ = published
    documents = Documents()

    messages = consume_all(broker.bootstrap_servers, "partner-state", 6)

    latest: dict[str, dict[str, Any]] = {}
    for message in messages:
        headers = {k: v.decode() for k, v in message.headers()}
        latest[message.key().decode()] = documents.validate(headers, message.value())
    assert len(latest) == 5 + 1  # the scripted five, and the one that left
    assert sorted(s["status"] for s in latest.values()) == [
        "active", "active", "active", "terminated", "warned", "withdrawn"
    ]  # fmt: skip
