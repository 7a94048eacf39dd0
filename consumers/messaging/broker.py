"""The registry's connection to Kafka: client settings, topics, sending.

Every client is built here from the settings, so security settings and
timeouts are the same everywhere and only this module knows kafka-python's
option names. Timeouts are short on purpose: an unreachable broker must
surface as an error within seconds so the caller can back off and retry,
never block a process for minutes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from infra.topics import TopicSpec
from registry.config import Settings
from registry.record.messages import Message

log = structlog.get_logger(__name__)


# A record not acknowledged within this time fails; flushing waits longer, so
# a flush always ends with every record either acknowledged or failed.
DELIVERY_TIMEOUT_MS = 10_000
_FLUSH_SECONDS = DELIVERY_TIMEOUT_MS / 1000 + 5


class BrokerUnavailableError(RuntimeError):
    """Kafka did not take the records (down, unreachable or refusing)."""


def client_config(settings: Settings) -> dict[str, Any]:
    """Connection and security options shared by every client.

    No client may create a topic by asking for it: a consumer that did so on
    a broker restarted empty made a topic of the wrong shape, and the relay,
    seeing it exist, took the broker for one that kept its history.
    """
    config: dict[str, Any] = {
        "bootstrap_servers": settings.require_kafka().split(","),
        "client_id": "partner-registry",
        "security_protocol": settings.kafka_security_protocol,
        "request_timeout_ms": 5_000,
        "reconnect_backoff_max_ms": 2_000,
        "bootstrap_timeout_ms": 10_000,
    }
    if settings.kafka_sasl_mechanism:
        password = settings.kafka_sasl_password
        config["sasl_mechanism"] = settings.kafka_sasl_mechanism
        config["sasl_plain_username"] = settings.kafka_sasl_username
        config["sasl_plain_password"] = password.get_secret_value() if password else None
    if settings.kafka_ssl_cafile:
        config["ssl_cafile"] = settings.kafka_ssl_cafile
    return config


def new_producer(settings: Settings) -> Any:
    """An idempotent producer that waits for every in-sync replica."""
    return KafkaProducer(
        **client_config(settings),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_in_flight_requests_per_connection=5,
        allow_auto_create_topics=False,
        max_block_ms=10_000,
        delivery_timeout_ms=DELIVERY_TIMEOUT_MS,
    )


def new_admin(settings: Settings) -> Any:
    """An admin client, for creating topics."""
    return KafkaAdminClient(**client_config(settings))


def new_reader(settings: Settings, **options: Any) -> Any:
    """A consumer outside any group, positioned by the caller."""
    return KafkaConsumer(
        **client_config(settings),
        allow_auto_create_topics=False,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **(_fetching(settings) | options),
    )


def new_group_consumer(settings: Settings, group: str, **options: Any) -> Any:
    """A consumer in a group, tuned to join quickly (seconds, not the default tens)."""
    return KafkaConsumer(
        **client_config(settings),
        allow_auto_create_topics=False,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=6_000,
        heartbeat_interval_ms=1_000,
        max_poll_interval_ms=60_000,
        **(_fetching(settings) | options),
    )


def _fetching(settings: Settings) -> dict[str, Any]:
    """How long the broker may hold a fetch that has no records yet.

    Apache Kafka answers as soon as a record arrives, so its default (500 ms)
    costs no latency there; the local Tansu broker holds the fetch, so the
    local stack asks for less (see ``infra/local/stack.py``).
    """
    return {"fetch_max_wait_ms": settings.kafka_fetch_max_wait_ms}


def ensure_declared_topics(settings: Settings, topics: Sequence[TopicSpec]) -> None:
    """Create the declared topics that are missing, or raise BrokerUnavailableError."""
    try:
        admin = new_admin(settings)
        try:
            ensure_topics(admin, topics, settings.kafka_replication_factor)
        finally:
            admin.close()
    except KafkaError as error:
        raise BrokerUnavailableError(str(error)) from error


def ensure_topics(admin: Any, topics: Sequence[TopicSpec], replication: int) -> list[str]:
    """Create the declared topics that are missing; return the names created."""
    existing = set(admin.list_topics())
    missing = [t for t in topics if t.name not in existing]
    created = []
    for topic in missing:
        new = NewTopic(topic.name, topic.partitions, replication, topic_configs=topic.config)
        try:
            admin.create_topics([new])
        except TopicAlreadyExistsError:
            continue
        created.append(topic.name)
        log.info("topic created", topic=topic.name, partitions=topic.partitions)
    return created


def holds_records(reader: Any, topic: str) -> bool:
    """Whether any partition of the topic has a record.

    Only "empty or not" is asked: some brokers (Tansu) report the end offset
    as the last batch's base offset plus one, so end offsets do not count
    records, but they are zero exactly when a partition is empty.
    """
    partitions = reader.partitions_for_topic(topic)
    if not partitions:
        return False
    offsets = reader.end_offsets([TopicPartition(topic, p) for p in partitions])
    return any(offset > 0 for offset in offsets.values())


def send_and_wait(producer: Any, messages: Sequence[tuple[str, Message]]) -> None:
    """Send records and return only when Kafka has acknowledged every one."""
    try:
        futures = [
            producer.send(topic, key=m.key, value=m.value, headers=m.headers)
            for topic, m in messages
        ]
        producer.flush(timeout=_FLUSH_SECONDS)
        for future in futures:
            future.get(timeout=0)
    except KafkaError as error:
        raise BrokerUnavailableError(str(error)) from error


class KafkaOutbound:
    """The relay's Kafka clients, created on first use and dropped after a failure."""

    def __init__(self, settings: Settings, topics: Sequence[TopicSpec], events_topic: str):
        self._settings = settings
        self._topics = topics
        self._events_topic = events_topic
        self._producer: Any = None
        self._admin: Any = None
        self._reader: Any = None

    def send(self, messages: Sequence[tuple[str, Message]]) -> None:
        """Send records and return only when Kafka has acknowledged every one."""
        if self._producer is None:
            try:
                self._producer = new_producer(self._settings)
            except KafkaError as error:
                raise BrokerUnavailableError(str(error)) from error
        send_and_wait(self._producer, messages)

    def holds_history(self) -> bool:
        """Whether the events topic exists (asked afresh) and holds a record."""
        try:
            if self._events_topic not in self._admin_client().list_topics():
                return False
            if self._reader is None:
                self._reader = new_reader(self._settings)
            return holds_records(self._reader, self._events_topic)
        except KafkaError as error:
            raise BrokerUnavailableError(str(error)) from error

    def ensure_topics(self) -> None:
        """Create the declared topics that are missing."""
        try:
            ensure_topics(
                self._admin_client(), self._topics, self._settings.kafka_replication_factor
            )
        except KafkaError as error:
            raise BrokerUnavailableError(str(error)) from error

    def reconnect(self) -> None:
        """Close every client; unsent records are dropped and will be re-sent."""
        producer, admin, reader = self._producer, self._admin, self._reader
        self._producer = self._admin = self._reader = None
        for client in (producer, admin, reader):
            if client is not None:
                close_quietly(client)

    def close(self) -> None:
        """Flush and close the clients."""
        if self._producer is not None:
            self._producer.flush(timeout=10)
        self.reconnect()

    def _admin_client(self) -> Any:
        if self._admin is None:
            self._admin = new_admin(self._settings)
        return self._admin


def close_quietly(client: Any) -> None:
    """Close a client; a producer that cannot flush (the broker is gone) is abandoned."""
    try:
        if isinstance(client, KafkaProducer):
            client.close(timeout=_FLUSH_SECONDS)
        else:
            client.close()
    except (KafkaError, OSError) as error:
        log.debug("closing a Kafka client failed", error=str(error))
        if isinstance(client, KafkaProducer):
            _abandon(client)


def _abandon(producer: Any) -> None:
    """Stop a producer whose records cannot be delivered: its owner re-sends them.

    kafka-python's ``close`` gives up before stopping the sender thread when
    the flush times out, and tries again, and fails, when the producer is
    garbage-collected; this stops the thread and marks the producer closed.
    """
    sender = getattr(producer, "_sender", None)
    if sender is not None:
        sender.force_close()
    producer._closed = True
