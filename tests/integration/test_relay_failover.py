"""The relay as a process: killed at random moments, and replaced by a standby."""

from __future__ import annotations

import random
import time
from collections import defaultdict
from functools import partial
from pathlib import Path

import pytest
from kafka import KafkaProducer

from consumers.messaging.broker import close_quietly
from infra.local.broker import LocalBroker
from registry.bootstrap import build_relay
from registry.record.chain import GENESIS, chain_hash
from registry.record.messages import PublishedEvent
from registry.service.application import PartnerRegistry
from tests.histories import more_events, scripted_history, stored_records
from tests.kafka_helpers import (
    TopicReader,
    relay_process,
    relay_settings,
    steady_writes,
    wait_for,
)

pytestmark = pytest.mark.postgres


def drain(database_url: str, broker: LocalBroker, registry: PartnerRegistry) -> None:
    relay = build_relay(relay_settings(database_url, broker.bootstrap_servers), registry)
    relay.drain()
    relay.close()


def read_everything(broker: LocalBroker, positions: list[int]) -> list[PublishedEvent]:
    reader = TopicReader(broker.bootstrap_servers, "partner-events")
    wanted = set(positions)
    reader.poll_until(lambda _: wanted <= {e.position for e in reader.events()}, timeout=60)
    return reader.events()


def assert_whole_and_chained(events: list[PublishedEvent], positions: list[int]) -> None:
    """Every position once after dropping re-sends, numbered 1..N, the chain intact."""
    by_position: dict[int, list[PublishedEvent]] = defaultdict(list)
    for event in events:
        by_position[event.position].append(event)
    assert sorted(by_position) == positions
    assert all(all(copy == copies[0] for copy in copies) for copies in by_position.values())
    ordered = [by_position[p][0] for p in positions]
    assert [e.sequence for e in ordered] == list(range(1, len(positions) + 1))
    previous = GENESIS
    for event in ordered:
        previous = chain_hash(previous, event.record)
        assert event.chain_hash == previous


def test_relay_killed_at_random_moments_leaves_no_position_missing(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry, tmp_path: Path
) -> None:
    scripted_history(writer, partners=30)
    more_events(writer, 1200)
    chance = random.Random(20261128)
    kills = 0

    with steady_writes(database_url, pause=0.01):
        for round_number in range(12):
            relay = relay_process(
                database_url, broker.bootstrap_servers, tmp_path / f"relay-{round_number}.log",
                RELAY_BATCH_SIZE="3",
            )  # fmt: skip
            wait_for(partial(relay.logged, "relay leading"))
            time.sleep(chance.uniform(0.05, 0.5))
            relay.kill()
            kills += 1
    drain(database_url, broker, writer)

    positions = [p for p, _ in stored_records(writer)]
    events = read_everything(broker, positions)
    resent = len(events) - len(positions)
    print(f"kills={kills} events={len(positions)} records={len(events)} re-sent={resent}")
    assert kills >= 10
    assert_whole_and_chained(events, positions)


def test_a_standby_relay_takes_over_when_the_leader_is_killed(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry, tmp_path: Path
) -> None:
    scripted_history(writer)
    leader = relay_process(database_url, broker.bootstrap_servers, tmp_path / "leader.log")
    wait_for(lambda: leader.logged("relay leading"))
    standby = relay_process(database_url, broker.bootstrap_servers, tmp_path / "standby.log")
    wait_for(lambda: standby.logged("relay standing by: another relay is publishing"))

    leader.kill()
    more_events(writer, 5)

    positions = [p for p, _ in stored_records(writer)]
    events = read_everything(broker, positions)
    assert standby.logged("relay leading")
    assert standby.stop() == 0
    assert_whole_and_chained(events, positions)


def test_a_producer_that_cannot_flush_is_abandoned_not_left_running() -> None:
    # Given a producer with a record pending for a broker that has gone away
    local = LocalBroker()
    local.start()
    producer = KafkaProducer(bootstrap_servers=local.bootstrap_servers, acks="all")
    producer.send("partner-events", b"x").get(timeout=10)
    local.stop()
    producer.send("partner-events", b"pending")

    # When it is closed quietly
    close_quietly(producer)

    # Then its sender thread is stopped and it counts as closed (its finaliser does nothing)
    assert getattr(producer, "_closed") is True  # noqa: B009
    sender = getattr(producer, "_sender")  # noqa: B009
    sender.join(5)
    assert not sender.is_alive()
