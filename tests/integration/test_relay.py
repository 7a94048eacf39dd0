"""The relay publishes every stored event to Kafka in order, with its CloudEvents headers."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections import defaultdict
from typing import Any
from uuid import UUID

import psycopg
import pytest
from structlog.testing import capture_logs

from consumers.messaging.broker import KafkaOutbound, new_group_consumer, new_reader
from consumers.parts.wakeups import ListenNotify
from infra.local.broker import LocalBroker
from registry.bootstrap import build_relay
from registry.domain.commands import RegisterPartner
from registry.record.chain import GENESIS, chain_hash
from registry.record.messages import ce_type_of
from registry.service.application import PartnerRegistry
from tests.builders import decision, platform
from tests.conftest import open_registry
from tests.histories import more_events, scripted_history, stored_records
from tests.kafka_helpers import CLI, TopicReader, relay_settings, running_relay, sequences, wait_for

pytestmark = pytest.mark.postgres


def test_every_event_reaches_the_topic_in_store_order_with_its_headers(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry
) -> None:
    scripted_history(writer)
    stored = stored_records(writer)
    settings = relay_settings(
        database_url, broker.bootstrap_servers, cloudevents_source="urn:test:registry"
    )

    relay = build_relay(settings, writer)
    sent = relay.drain()
    relay.close()

    reader = TopicReader(broker.bootstrap_servers, "partner-events")
    records = reader.poll_until(lambda rs: len(rs) >= len(stored))
    events = sorted(reader.events(), key=lambda e: e.sequence)
    assert sent == len(stored) == len(records)
    assert [e.sequence for e in events] == list(range(1, len(stored) + 1))
    assert [(e.position, e.record) for e in events] == stored
    previous = GENESIS
    for event in events:
        previous = chain_hash(previous, event.record)
        assert event.chain_hash == previous
    for record in records:
        headers = {name: value.decode() for name, value in record.headers}
        body = json.loads(record.value)
        assert record.key.decode() == body["partner_id"] == headers["ce_subject"]
        assert headers["ce_specversion"] == "1.0"
        assert headers["ce_type"] == ce_type_of(body["type"])
        assert headers["ce_source"] == "urn:test:registry"
        assert headers["ce_id"] == f"{body['partner_id']}:{body['version']}"
        assert headers["ce_time"] == body["recorded_at"]
        assert headers["ce_schemaversion"] == "1"
        assert headers["content-type"] == "application/json"


def test_each_partners_events_are_in_version_order_on_one_partition(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry
) -> None:
    scripted_history(writer, partners=12)
    stored = stored_records(writer)

    relay = build_relay(relay_settings(database_url, broker.bootstrap_servers), writer)
    relay.drain()
    relay.close()

    reader = TopicReader(broker.bootstrap_servers, "partner-events")
    records = reader.poll_until(lambda rs: len(rs) >= len(stored))
    partitions: dict[str, set[int]] = defaultdict(set)
    versions: dict[str, list[int]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        body = json.loads(record.value)
        partitions[body["partner_id"]].add(record.partition)
        versions[body["partner_id"]].append(body["version"])
    assert all(len(p) == 1 for p in partitions.values())
    assert all(v == list(range(1, len(v) + 1)) for v in versions.values())
    assert len({next(iter(p)) for p in partitions.values()}) > 1


def test_state_topic_holds_each_partners_current_state(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry
) -> None:
    ids = scripted_history(writer)

    relay = build_relay(relay_settings(database_url, broker.bootstrap_servers), writer)
    relay.drain()
    relay.close()

    reader = TopicReader(broker.bootstrap_servers, "partner-state")
    latest: dict[str, dict[str, object]] = {}

    def all_current(records: list[object]) -> bool:
        for record in records:
            latest[record.key.decode()] = json.loads(record.value)  # type: ignore[attr-defined]
        return all(
            str(i) in latest and latest[str(i)]["version"] == writer.get(i).version for i in ids
        )

    reader.poll_until(all_current)
    for partner_id in ids:
        current = writer.get(partner_id)
        state = latest[str(partner_id)]
        assert state["status"] == current.status.value
        assert state["name"] == current.name
        assert [w["warning_number"] for w in state["open_warnings"]] == [  # type: ignore[attr-defined]
            w["warning_number"] for w in current.open_warnings
        ]


def test_a_new_event_reaches_kafka_without_waiting_for_the_safety_poll(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry
) -> None:
    settings = relay_settings(database_url, broker.bootstrap_servers, relay_safety_poll_seconds=120)
    reader = TopicReader(broker.bootstrap_servers, "partner-events")
    with running_relay(settings):
        writer.register(RegisterPartner(platform(), decision()))
        reader.poll_until(lambda rs: len(rs) == 1)

        partner_id = writer.register(RegisterPartner(platform(), decision())).partner_id

        reader.poll_until(lambda rs: len(rs) == 2, timeout=10)
    assert reader.events()[-1].partner_id == str(partner_id)


def test_a_lost_notification_is_covered_by_the_safety_poll(
    postgres_url: str, broker: LocalBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = open_registry(postgres_url)
    deaf = ListenNotify.__init__

    def listen_to_a_silent_channel(self: ListenNotify, url: str, channel: str) -> None:
        deaf(self, url, "nobody_notifies_here")

    monkeypatch.setattr(ListenNotify, "__init__", listen_to_a_silent_channel)
    reader = TopicReader(broker.bootstrap_servers, "partner-events")
    with running_relay(relay_settings(postgres_url, broker.bootstrap_servers)):
        writer.register(RegisterPartner(platform(), decision()))
        reader.poll_until(lambda rs: len(rs) == 1, timeout=10)
        time.sleep(1.5)  # the relay is idle now, listening where nobody notifies

        writer.register(RegisterPartner(platform(), decision()))

        reader.poll_until(lambda rs: len(rs) == 2, timeout=10)
    writer.close()


def test_commands_succeed_while_the_broker_is_down_and_reach_it_when_it_returns(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry
) -> None:
    more_events(writer, 3)
    with (
        capture_logs() as logs,
        running_relay(relay_settings(database_url, broker.bootstrap_servers)),
    ):
        TopicReader(broker.bootstrap_servers, "partner-events").poll_until(lambda rs: len(rs) == 3)
        broker.stop()

        more_events(writer, 4)
        wait_for(lambda: any(e["event"] == "broker unavailable; retrying" for e in logs))
        broker.start()

        reader = TopicReader(broker.bootstrap_servers, "partner-events")
        reader.poll_until(lambda rs: sequences(reader.events()) == list(range(1, 8)), timeout=60)
    assert sorted(e.position for e in reader.events()) == [p for p, _ in stored_records(writer)]


def test_a_broker_that_comes_back_empty_is_refilled_from_the_first_event(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry
) -> None:
    scripted_history(writer)
    total = len(stored_records(writer))
    with running_relay(relay_settings(database_url, broker.bootstrap_servers)):
        TopicReader(broker.bootstrap_servers, "partner-events").poll_until(
            lambda rs: len(rs) == total
        )

        broker.restart()

        reader = TopicReader(broker.bootstrap_servers, "partner-events")
        reader.poll_until(lambda rs: len(rs) >= total, timeout=30)
    assert sequences(reader.events()) == list(range(1, total + 1))
    assert UUID(reader.events()[0].partner_id)


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs."""


def test_a_crash_after_kafka_acknowledged_resends_rather_than_skips(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    more_events(writer, 5)
    settings = relay_settings(database_url, broker.bootstrap_servers)
    real_send = KafkaOutbound.send

    def send_then_die(self: KafkaOutbound, messages: Any) -> None:
        real_send(self, messages)
        raise Crash

    monkeypatch.setattr(KafkaOutbound, "send", send_then_die)
    crashing = build_relay(settings, writer)
    with pytest.raises(Crash):
        crashing.drain()
    crashing.close()
    monkeypatch.setattr(KafkaOutbound, "send", real_send)

    recovered = build_relay(settings, writer)
    recovered.drain()
    recovered.close()

    reader = TopicReader(broker.bootstrap_servers, "partner-events")
    reader.poll_until(lambda rs: len(rs) >= 10)
    positions = [e.position for e in reader.events()]
    assert sorted(positions) == sorted(2 * [p for p, _ in stored_records(writer)])


def test_relay_keeps_publishing_after_losing_its_database_connections(
    postgres_url: str, broker: LocalBroker
) -> None:
    writer = open_registry(postgres_url)
    more_events(writer, 2)
    reader = TopicReader(broker.bootstrap_servers, "partner-events")
    with (
        capture_logs() as logs,
        running_relay(relay_settings(postgres_url, broker.bootstrap_servers)),
    ):
        reader.poll_until(lambda rs: len(rs) == 2)

        terminate_other_sessions(postgres_url)
        more_events(writer, 3)

        reader.poll_until(lambda rs: sequences(reader.events()) == [1, 2, 3, 4, 5], timeout=30)
        # the batch can reach Kafka before the relay finds its lock gone
        wait_for(lambda: [e["event"] for e in logs].count("relay leading") >= 2, timeout=30)
    events = [e["event"] for e in logs]
    assert {"relay lost the lead", "event store unavailable; retrying"} & set(events)
    writer.close()


def terminate_other_sessions(url: str) -> None:
    """Cut every other connection to the test database, as a failover would."""
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def test_topics_carry_the_configured_prefix(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry
) -> None:
    more_events(writer, 2)
    settings = relay_settings(database_url, broker.bootstrap_servers, kafka_topic_prefix="staging.")

    relay = build_relay(settings, writer)
    relay.drain()
    relay.close()

    reader = TopicReader(broker.bootstrap_servers, "staging.partner-events")
    assert len(reader.poll_until(lambda rs: len(rs) == 2)) == 2
    states = TopicReader(broker.bootstrap_servers, "staging.partner-state")
    assert len(states.poll_until(lambda rs: len(rs) == 2)) == 2


def test_relay_command_publishes_pending_events_once(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry
) -> None:
    more_events(writer, 3)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
    }

    first = subprocess.run(
        [str(CLI), "relay", "--once"], env=env, capture_output=True, text=True, check=False
    )
    again = subprocess.run(
        [str(CLI), "relay", "--once"], env=env, capture_output=True, text=True, check=False
    )

    assert (first.returncode, first.stdout.strip()) == (0, "Published 3 events.")
    assert (again.returncode, again.stdout.strip()) == (0, "Published 0 events.")


def test_relay_without_a_broker_configured_exits_2_saying_what_is_missing(
    database_url: str,
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    env["DATABASE_URL"] = database_url

    result = subprocess.run(
        [str(CLI), "relay"], env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode == 2
    assert "KAFKA_BOOTSTRAP_SERVERS is not set" in result.stderr


def test_consumers_ask_the_broker_for_the_configured_fetch_wait(broker: LocalBroker) -> None:
    settings = relay_settings(
        "sqlite:///unused", broker.bootstrap_servers, kafka_fetch_max_wait_ms=40
    )

    reader = new_reader(settings)
    grouped = new_group_consumer(settings, "fetch-wait-check")

    assert reader.config["fetch_max_wait_ms"] == 40
    assert grouped.config["fetch_max_wait_ms"] == 40
    reader.close()
    grouped.close()
