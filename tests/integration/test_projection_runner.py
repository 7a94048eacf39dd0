"""The projection runner against the real broker: exactly once, dead letters, rebuilds."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from pydantic import SecretStr

from infra.local.broker import LocalBroker
from projections.storage.store import ReadModelStore
from registry.bootstrap import build_projection_runner, build_read_models, build_relay
from registry.config import Settings
from registry.record.messages import encode_event
from registry.service.application import PartnerRegistry
from tests.histories import more_events, published_history, scripted_history, stored_records
from tests.kafka_helpers import (
    CLI,
    TopicReader,
    in_a_thread,
    produce,
    relay_settings,
    running_projection,
    wait_for,
)
from tests.read_model_helpers import dump, expected_dump

pytestmark = pytest.mark.postgres


def settings_for(database_url: str, broker: LocalBroker, **overrides: object) -> Settings:
    return relay_settings(
        database_url, broker.bootstrap_servers, projection_stall_seconds=2, **overrides
    )


def publish(settings: Settings, registry: PartnerRegistry) -> None:
    relay = build_relay(settings, registry)
    relay.drain()
    relay.close()


def published(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry, partners: int
) -> Settings:
    """The settings of a store holding a scripted history the relay has published."""
    scripted_history(writer, partners=partners)
    settings = settings_for(database_url, broker)
    publish(settings, writer)
    return settings


def caught_up(store: ReadModelStore, registry: PartnerRegistry) -> bool:
    return store.chain_head().sequence == len(stored_records(registry))


def test_runner_builds_both_read_models_exactly_as_the_store_says(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry, tmp_path: Path
) -> None:
    settings = published(database_url, broker, writer, partners=8)

    with running_projection(settings) as store:
        wait_for(lambda: caught_up(store, writer))

        assert dump(store) == expected_dump(writer, tmp_path)
        assert store.offsets("partner-events")


def test_duplicated_records_are_applied_once(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry, tmp_path: Path
) -> None:
    history = published_history(writer)
    settings = settings_for(database_url, broker)
    publish(settings, writer)
    copies = [encode_event(e, source="urn:replayer") for e in history[2:9]]

    produce(
        broker.bootstrap_servers, "partner-events", [(m.key, m.value, m.headers) for m in copies]
    )

    with running_projection(settings) as store:
        wait_for(lambda: caught_up(store, writer))
        wait_for(lambda: sum(p.next_offset for p in store.consumer_status()) >= 3)
        assert dump(store) == expected_dump(writer, tmp_path)


def test_a_poison_record_goes_to_the_dead_letter_topic_and_later_records_are_applied(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry
) -> None:
    history = published_history(writer)
    settings = settings_for(database_url, broker)
    publish(settings, writer)
    good = encode_event(history[0], source="urn:x")
    future = [(n, b"2" if n == "ce_schemaversion" else v) for n, v in good.headers]
    wrong_type = [
        (n, b"prakerja.partner.renamed" if n == "ce_type" else v) for n, v in good.headers
    ]
    poison = [
        (b"k", b"\x00not json at all", good.headers),
        (good.key, good.value, wrong_type),
        (good.key, json.dumps({"partner_id": "nope"}).encode(), good.headers),
        (good.key, good.value, future),
    ]
    produce(broker.bootstrap_servers, "partner-events", poison)
    more_events(writer, 3)
    publish(settings, writer)

    with running_projection(settings) as store:
        wait_for(lambda: caught_up(store, writer))

    letters = TopicReader(broker.bootstrap_servers, "partner-events-dead-letter").poll_until(
        lambda rs: len(rs) >= 4
    )
    refused = sorted((dict(r.headers)["dlq_reason"].decode(), r.value) for r in letters)
    reasons = ["not_json", "unknown_type", "schema_violation", "future_schema_version"]
    assert refused == sorted(zip(reasons, [value for _, value, _ in poison], strict=True))
    assert all(dict(r.headers)["dlq_topic"] == b"partner-events" for r in letters)


def test_a_runner_catching_up_takes_every_partition_into_one_batch_so_no_event_waits(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry, tmp_path: Path
) -> None:
    # Given a history on three partitions (the broker answers a fetch from one of them)
    settings = published(database_url, broker, writer, partners=20)

    # When runners taking five records a poll catch up, one in batches of many polls
    gathered = waited_while_catching_up(settings, writer, tmp_path / "gathered", 20_000)
    poll_by_poll = waited_while_catching_up(settings, writer, tmp_path / "poll-by-poll", 5)

    # Then no event had to wait in storage for a predecessor from another partition
    assert gathered == 0
    assert poll_by_poll > 0


def waited_while_catching_up(
    settings: Settings, writer: PartnerRegistry, folder: Path, batch_records: int
) -> float:
    """How many events waited for a predecessor while a fresh runner applied the topic."""
    folder.mkdir()
    fresh = settings.model_copy(update={
        "read_model_database_url": SecretStr(f"sqlite:///{folder}/read-models.sqlite3"),
        "projection_group": folder.name, "projection_poll_records": 5,
        "projection_batch_records": batch_records,
    })  # fmt: skip
    store = build_read_models(fresh)
    runner = build_projection_runner(fresh, store)
    try:
        with in_a_thread(runner.run):
            wait_for(lambda: caught_up(store, writer))
    finally:
        store.close()
    waited = runner.metrics.registry.get_sample_value(
        "partner_registry_projection_events_waited_total"
    )
    return waited or 0.0


def test_rebuilding_from_the_topic_or_the_store_gives_byte_identical_read_models(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry, tmp_path: Path
) -> None:
    settings = published(database_url, broker, writer, partners=6)
    with running_projection(settings) as store:
        wait_for(lambda: caught_up(store, writer))
    built_by_runner = dump_of(settings)

    from_topic = cli(settings, "rebuild", "--source", "topic")
    after_topic = dump_of(settings)
    from_store = cli(settings, "rebuild", "--source", "store")
    after_store = dump_of(settings)

    assert "Rebuilt from the topic" in from_topic
    assert "Rebuilt from the event store" in from_store
    assert after_topic == built_by_runner == after_store


def dump_of(settings: Settings) -> bytes:
    store = build_read_models(settings)
    try:
        return dump(store)
    finally:
        store.close()


def cli(settings: Settings, *args: str) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url.get_secret_value(),
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers or "",
    }
    result = subprocess.run([str(CLI), *args], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout
