"""The relay and the projection runner against the raw Kafka client.

The store is filled with partnerships taken through register, evaluate,
warn and terminate (four events each). The relay's time to publish them is
compared with the raw kafka-python producer sending exactly the same
records with the same settings; the runner's time to apply them to the
PostgreSQL read models with a raw consumer reading the same topic.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from pydantic import SecretStr

from consumers.messaging.broker import new_producer, send_and_wait
from consumers.messaging.kafka_types import Partition
from consumers.parts import heap
from consumers.parts.wakeups import PollingBackoff
from consumers.read_side.runner import RunnerOptions
from consumers.relay.batches import BatchReader
from consumers.relay.positions_postgres import PostgresRelayPositions
from consumers.relay.relay import Relay
from consumers.relay.transparency_log import TransparencyLog
from infra.local.broker import LocalBroker
from registry.adapters.log_store import LogStore
from registry.adapters.sqldb_sqlite import SqliteDatabase
from registry.bootstrap import (
    build_projection_runner,
    build_read_models,
    build_relay,
    relay_options,
    signing_key,
)
from registry.config import Settings
from registry.domain.criteria import Criterion
from registry.domain.partner import Partner
from registry.record.chain import GENESIS
from registry.record.messages import Message
from registry.service.application import PartnerRegistry
from tests.benchmarks.common import Result, Target, timed
from tests.builders import NEXT_MONTH, TODAY, decision, findings, obligation, platform
from tests.conftest import open_registry
from tests.kafka_helpers import RecordingOutbound

CHUNK = 250


def fill(registry: PartnerRegistry, events: int) -> None:
    """Record ``events`` partner events, saved a few hundred partnerships at a time."""
    for start in range(0, events // 4, CHUNK):
        partners = []
        for _ in range(min(CHUNK, events // 4 - start)):
            partner = Partner.register(platform(), decision(), today=TODAY)
            partner.evaluate(findings(), [obligation()], decision(), today=TODAY)
            partner.warn(
                decision(), deadline=NEXT_MONTH, today=TODAY, criterion=Criterion.TECHNOLOGY
            )
            partner.terminate(decision(), today=TODAY)
            partners.append(partner)
        registry.save(*partners)


def settings_for(database_url: str, bootstrap: str, key: str) -> Settings:
    return Settings(
        database_url=SecretStr(database_url), kafka_bootstrap_servers=bootstrap,
        signing_key_file=key, checkpoint_interval_seconds=3600,
    )  # fmt: skip


def run(database_url: str, events: int, key: str) -> list[Result]:
    registry = open_registry(database_url)
    fill(registry, events)
    with LocalBroker() as raw_broker, LocalBroker() as broker:
        settings = settings_for(database_url, broker.bootstrap_servers, key)
        batches = recorded_batches(registry, settings)
        raw_seconds = produce_raw(
            settings_for(database_url, raw_broker.bootstrap_servers, key), batches
        )
        records = sum(len(batch) for batch in batches)
        relay = build_relay(settings, registry)
        relay_seconds = timed(relay.drain)
        relay.close()
        read_seconds = read_raw(broker.bootstrap_servers, "partner-events")
        project_seconds, per_second = project(settings, events)
    registry.close()
    return [
        Result("relay: stored events to Kafka vs raw producer", records / relay_seconds,
               records / raw_seconds, "records/s", Target(ratio=0.8),
               notes={"events": events, "records": records, "batches": len(batches)}),
        Result("projections: Kafka to PG read models vs raw consumer", per_second,
               events / read_seconds, "events/s", Target(ratio=0.4, at_least=15_000),
               notes={"seconds": round(project_seconds, 1)}),
    ]  # fmt: skip


def recorded_batches(
    registry: PartnerRegistry, settings: Settings
) -> list[list[tuple[str, Message]]]:
    """Exactly the records the relay sends for this store (events and partner states), by batch.

    A relay of its own name (so its position does not touch the real
    relay's) drains into a recording outbound instead of Kafka, signing
    each record's checkpoint with the relay's key into a log of its own (a
    scratch SQLite file), so the raw producer sends the same headers.
    """
    with tempfile.TemporaryDirectory() as scratch:
        log_store = LogStore(SqliteDatabase(str(Path(scratch) / "dry-log.sqlite")))
        log_store.setup()
        signed = TransparencyLog(log_store, signing_key(settings), settings.log_origin)
        dry = Relay(
            registry,
            PostgresRelayPositions(settings.database_url.get_secret_value(), "dry-run", GENESIS),
            PollingBackoff(),
            recording := RecordingOutbound(),
            relay_options(settings),
            batches=BatchReader(registry, signed, settings.relay_batch_size),
        )
        dry.drain()
        dry.close()
    return recording.sent


def produce_raw(settings: Settings, batches: list[list[tuple[str, Message]]]) -> float:
    """The raw producer, same settings, same records, in the relay's batches, each acknowledged."""
    from consumers.messaging.broker import ensure_declared_topics  # noqa: PLC0415
    from infra.topics import declared_topics  # noqa: PLC0415

    ensure_declared_topics(settings, list(declared_topics().values()))
    producer = new_producer(settings)

    def send_all() -> None:
        for batch in batches:
            send_and_wait(producer, batch)

    seconds = timed(send_all)
    producer.close()
    return seconds


def read_raw(
    bootstrap: str, topic: str, max_records: int = RunnerOptions.max_records, **options: Any
) -> float:
    """A raw consumer reading the whole topic, doing nothing with it, polled as ours poll."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **options)
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
    consumer.assign(partitions)
    consumer.seek_to_beginning()
    ends = consumer.end_offsets(partitions)

    def read() -> None:
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            consumer.poll(timeout_ms=1000, max_records=max_records)

    seconds = timed(read)
    consumer.close()
    return seconds


def project(settings: Settings, events: int) -> tuple[float, float]:
    """The runner in its group; timed from its partitions' assignment to the whole chain.

    Joining the group is left out (the raw consumer joins none). Timing from
    the first applied batch instead left out that batch's events and time,
    which once a batch could hold the whole topic meant all of them.
    """
    store = build_read_models(settings)
    runner = build_projection_runner(settings, store)
    joined: list[float] = []
    seek_to_saved = runner.assigned

    def assigned(partitions: list[Partition]) -> None:
        joined.append(time.perf_counter())
        seek_to_saved(partitions)

    runner.assigned = assigned  # type: ignore[method-assign]
    heap.settle()
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    thread.start()
    while store.chain_head().sequence < events:
        time.sleep(0.01)
    seconds = time.perf_counter() - joined[0]
    stop.set()
    thread.join(30)
    store.close()
    return seconds, events / seconds
