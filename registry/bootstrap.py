"""The one place that turns settings into a working registry.

Nothing connects to a database at import time; entry points call this.
"""

from __future__ import annotations

from consumers.broker import KafkaOutbound
from consumers.relay import Relay, RelayOptions
from consumers.relay_positions import RelayPositions
from consumers.relay_positions_postgres import PostgresRelayPositions
from consumers.relay_positions_sqlite import SqliteRelayPositions
from consumers.wakeups import ListenNotify, PollingBackoff, Wakeup
from infra.topics import EVENTS, STATE, declared_topics
from projections.store import ReadModelStore
from projections.store_postgres import PostgresReadModelStore
from projections.store_sqlite import SqliteReadModelStore
from registry.application import PartnerRegistry
from registry.chain import GENESIS
from registry.clock import today_in
from registry.config import Settings, is_postgres, persistence_env, sqlite_path


def build_registry(settings: Settings) -> PartnerRegistry:
    """Open the configured event store (creating its tables if missing)."""
    return PartnerRegistry(
        env=persistence_env(settings), today=today_in(settings.registry_timezone)
    )


def build_relay(settings: Settings, registry: PartnerRegistry) -> Relay:
    """The relay for the configured store and Kafka cluster."""
    settings.require_kafka()
    topics = declared_topics(settings.kafka_topic_prefix)
    events, state = topics[EVENTS], topics[STATE]
    options = RelayOptions(
        events_topic=events.name,
        state_topic=state.name,
        source=settings.cloudevents_source,
        batch_size=settings.relay_batch_size,
        safety_poll=settings.relay_safety_poll_seconds,
    )
    outbound = KafkaOutbound(settings, list(topics.values()), events.name)
    return Relay(
        registry, _relay_positions(settings, events.name), _wakeup(settings, registry),
        outbound, options,
    )  # fmt: skip


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


def build_read_models(settings: Settings) -> ReadModelStore:
    """The read-model store, with its tables created if missing."""
    url = settings.read_models_url
    store: ReadModelStore = (
        PostgresReadModelStore(url) if is_postgres(url) else SqliteReadModelStore(sqlite_path(url))
    )
    store.setup()
    return store
