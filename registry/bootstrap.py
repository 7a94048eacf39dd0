"""The one place that turns settings into a working registry.

Nothing connects to a database at import time; entry points call this.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from consumers.messaging.broker import (
    KafkaOutbound,
    ensure_declared_topics,
    new_group_consumer,
    new_producer,
    send_and_wait,
)
from consumers.messaging.dead_letters import DeadLetters
from consumers.parts.health import PartHealth
from consumers.parts.wakeups import ListenNotify, PollingBackoff, Wakeup
from consumers.read_side.feed_publisher import FeedPublisher
from consumers.read_side.metrics import RunnerMetrics
from consumers.read_side.runner import ProjectionRunner, RunnerOptions
from consumers.relay.batches import Batches, BatchReader
from consumers.relay.checkpointer import Checkpointer, Send
from consumers.relay.positions import RelayPositions
from consumers.relay.positions_postgres import PostgresRelayPositions
from consumers.relay.positions_sqlite import SqliteRelayPositions
from consumers.relay.relay import Relay, RelayOptions
from consumers.relay.signing_ahead import SigningAhead
from consumers.relay.transparency_log import TransparencyLog, TreeSigner
from consumers.relay.witnessing import Publication, WitnessCollector
from infra.topics import CHECKPOINTS, DEAD_LETTER, EVENTS, STATE, declared_topics
from projections.storage.store import ReadModelStore
from projections.storage.writer import CHANGES_CHANNEL
from registry.adapters.checkpoint_store import CheckpointStore
from registry.adapters.log_store import LogStore
from registry.adapters.sqldb import Database
from registry.adapters.sqldb_postgres import RECONNECT_SECONDS, PostgresDatabase
from registry.adapters.sqldb_sqlite import SqliteDatabase
from registry.config import (
    ConfigurationError,
    Settings,
    is_postgres,
    persistence_env,
    sqlite_path,
)
from registry.logs import configure_logging
from registry.record.chain import GENESIS
from registry.record.note import Verifier, parse_vkey, verifier_of
from registry.record.signing import load_key, load_or_create_key
from registry.service.application import PartnerRegistry
from registry.service.clock import today_in


def build_registry(settings: Settings) -> PartnerRegistry:
    """Open the configured event store (creating its tables if missing)."""
    with _taking_turns_at_setup(settings):
        registry = PartnerRegistry(
            env=persistence_env(settings), today=today_in(settings.registry_timezone)
        )
    _reconnect_promptly(registry)
    return registry


@contextmanager
def _taking_turns_at_setup(settings: Settings) -> Iterator[None]:
    """Let one process at a time run the event-store library's start-up DDL.

    On PostgreSQL the library runs CREATE ... IF NOT EXISTS and CREATE OR
    REPLACE FUNCTION on every start; parts started together failed with
    "tuple concurrently updated". A session advisory lock (per schema) makes
    them take turns; it ends with the connection.
    """
    url = settings.database_url.get_secret_value()
    if not is_postgres(url):
        yield
        return
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            "SELECT pg_advisory_lock(hashtext(current_schema() || ':partner-registry:setup'))"
        )
        yield


def _reconnect_promptly(registry: PartnerRegistry) -> None:
    """Give the event-store library's pool the same short reconnect window as ours.

    The library builds its psycopg pool itself with the five-minute default
    and offers no setting for it, so the (public) attribute is set here.
    """
    datastore = getattr(registry.recorder, "datastore", None)
    pool = getattr(datastore, "pool", None)
    if pool is not None and hasattr(pool, "reconnect_timeout"):
        pool.reconnect_timeout = RECONNECT_SECONDS


def build_relay(
    settings: Settings, registry: PartnerRegistry, health: PartHealth | None = None
) -> Relay:
    """The relay for the configured store and Kafka cluster."""
    settings.require_kafka()
    topics = declared_topics(settings.kafka_topic_prefix)
    options = relay_options(settings)
    outbound = KafkaOutbound(settings, list(topics.values()), options.events_topic)
    return Relay(
        registry, _relay_positions(settings, options.events_topic), _wakeup(settings, registry),
        outbound, options, build_checkpointer(settings), health, _relay_batches(settings, registry),
    )  # fmt: skip


def _relay_batches(settings: Settings, registry: PartnerRegistry) -> Batches:
    """The relay's batches, signed ahead by a helper process during a backlog."""
    reader = BatchReader(registry, build_transparency_log(settings), settings.relay_batch_size)
    return SigningAhead(reader, partial(open_tree_signer, settings))


def open_tree_signer(settings: Settings) -> TreeSigner:
    """The relay's signer, in its helper process: the same key and origin, logging alike."""
    configure_logging(settings.log_format, settings.log_level)
    return TreeSigner(signing_key(settings), settings.log_origin)


def build_health(settings: Settings, part: str) -> PartHealth:
    """The beats of this process, as one instance of ``part`` (connects on first beat)."""
    return PartHealth(open_database(settings.read_models_url, _small_pool(settings)), part)


def _small_pool(settings: Settings) -> Settings:
    return settings.model_copy(update={"database_pool_min": 0, "database_pool_max": 1})


def relay_options(settings: Settings) -> RelayOptions:
    """The relay's topics and timing, as configured."""
    topics = declared_topics(settings.kafka_topic_prefix)
    return RelayOptions(
        events_topic=topics[EVENTS].name,
        state_topic=topics[STATE].name,
        source=settings.cloudevents_source,
        batch_size=settings.relay_batch_size,
        safety_poll=settings.relay_safety_poll_seconds,
    )


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The relay's signing key (created on first start only in development)."""
    path = Path(settings.signing_key_file)
    production = settings.registry_environment == "production"
    return load_key(path) if production else load_or_create_key(path)


def build_witness_collector(settings: Settings) -> WitnessCollector | None:
    """The loop that gathers the configured witnesses' cosignatures (None if there are none)."""
    if not settings.witnesses:
        return None
    client = httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0))
    topics = declared_topics(settings.kafka_topic_prefix)
    outbound = KafkaOutbound(settings, list(topics.values()), topics[EVENTS].name)
    publication = Publication(outbound, topics[CHECKPOINTS].name,
                              settings.cloudevents_source, settings.log_witness_quorum)  # fmt: skip
    return WitnessCollector(build_log_store(settings), settings.witnesses, client, publication)


def build_log_store(settings: Settings) -> LogStore:
    """The transparency log's tables in the store's database, created if missing."""
    store = LogStore(open_database(settings.database_url.get_secret_value(), settings))
    store.setup()
    return store


def build_transparency_log(settings: Settings) -> TransparencyLog:
    """The relay's log keeper: signs each tree head with the relay's key."""
    return TransparencyLog(build_log_store(settings), signing_key(settings), settings.log_origin)


def build_checkpointer(settings: Settings) -> Checkpointer:
    """The signer, with its key loaded (created on first start only in development)."""
    key = signing_key(settings)
    store = CheckpointStore(open_database(settings.database_url.get_secret_value(), settings))
    store.setup()
    topic = declared_topics(settings.kafka_topic_prefix)[CHECKPOINTS].name
    return Checkpointer(
        key, store, topic, settings.cloudevents_source, settings.checkpoint_interval_seconds
    )


@contextmanager
def open_signer(settings: Settings) -> Iterator[tuple[Checkpointer, Send]]:
    """The signer and a way to publish what it signs, for commands run once."""
    signer = build_checkpointer(settings)
    producer = new_producer(settings)
    try:
        yield signer, lambda messages: send_and_wait(producer, messages)
    finally:
        producer.close()
        signer.close()


def _relay_positions(settings: Settings, name: str) -> RelayPositions:
    if settings.uses_postgres:
        return PostgresRelayPositions(settings.database_url.get_secret_value(), name, GENESIS)
    path = sqlite_path(settings.database_url.get_secret_value())
    return SqliteRelayPositions(path, name, GENESIS)


def _wakeup(settings: Settings, registry: PartnerRegistry) -> Wakeup:
    if settings.uses_postgres:
        channel = str(getattr(registry.recorder, "channel_name", "partnerregistry_events"))
        return ListenNotify(settings.database_url.get_secret_value(), channel)
    return PollingBackoff()


def open_database(url: str, settings: Settings) -> Database:
    """Our own tables' database at this URL, pooled as the settings say."""
    if is_postgres(url):
        return PostgresDatabase(url, settings.database_pool_min, settings.database_pool_max)
    return SqliteDatabase(sqlite_path(url))


def build_read_models(settings: Settings) -> ReadModelStore:
    """The read-model store, with its tables created if missing."""
    store = ReadModelStore(open_database(settings.read_models_url, settings))
    store.setup()
    return store


def build_projection_runner(
    settings: Settings, store: ReadModelStore, health: PartHealth | None = None
) -> ProjectionRunner:
    """A runner in the configured consumer group, topics created if missing."""
    topics = declared_topics(settings.kafka_topic_prefix)
    settings.require_kafka()
    ensure_declared_topics(settings, list(topics.values()))
    dead_letters = DeadLetters(
        lambda: new_producer(settings), topics[DEAD_LETTER].name, settings.projection_group
    )
    options = RunnerOptions(
        topic=topics[EVENTS].name,
        group=settings.projection_group,
        stall_timeout=settings.projection_stall_seconds,
        max_records=settings.projection_poll_records,
        batch_records=settings.projection_batch_records,
    )

    def new_consumer() -> Any:
        return new_group_consumer(
            settings, settings.projection_group, group_instance_id=settings.projection_instance_id
        )

    return ProjectionRunner(
        store, new_consumer, dead_letters, options, RunnerMetrics(), health,
        log_verifiers(settings),
    )  # fmt: skip


def log_verifiers(settings: Settings) -> Callable[[], list[Verifier]]:
    """The keys the read side trusts to have signed the log, asked for at each batch.

    ``LOG_VKEYS`` (the lines of ``GET /log/vkey``) in production; in
    development, when it is not set, the public half of the relay's key file,
    once the relay has created it.
    """
    if settings.log_vkeys:
        pinned = [parse_vkey(line) for line in settings.log_vkeys.split()]
        return lambda: pinned
    if settings.registry_environment == "production":
        msg = "LOG_VKEYS is not set: give the read side the log's verifier keys (GET /log/vkey)"
        raise ConfigurationError(msg)
    path = Path(settings.signing_key_file)
    found: list[Verifier] = []

    def from_key_file() -> list[Verifier]:
        """Read once the file exists: the runner asks at every batch."""
        if not found and path.exists():
            found.append(verifier_of(settings.log_origin, load_key(path).public_key()))
        return found

    return from_key_file


def build_feed_publisher(
    settings: Settings, store: ReadModelStore, health: PartHealth | None = None
) -> FeedPublisher:
    """The feed publisher, woken by the read models' NOTIFY or by polling."""
    wakeup = read_model_changes_wakeup(settings, PollingBackoff(0.1, 1.0))
    return FeedPublisher(store, Path(settings.feed_dir), settings.public_base_url, wakeup,
                         today_in(settings.registry_timezone), health)  # fmt: skip


def read_model_changes_wakeup(settings: Settings, polling: Wakeup | None = None) -> Wakeup:
    """Wakes when the read models change: their NOTIFY, or ``polling`` (5 ms) on SQLite."""
    url = settings.read_models_url
    if is_postgres(url):
        return ListenNotify(url, CHANGES_CHANNEL)
    return polling or PollingBackoff(0.005, 0.005)
