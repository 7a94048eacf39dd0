"""Records that cannot be read go to a dead-letter topic, intact, with the reason.

A consumer never drops a record silently and never stops on one bad record:
the original key, value and headers are kept byte for byte, and ``dlq_*``
headers say why it was refused and where it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from consumers.messaging.broker import send_and_wait
from consumers.messaging.kafka_types import ConsumedRecord
from registry.record.messages import MalformedMessageError, Message

Refused = tuple[ConsumedRecord, MalformedMessageError]


def dead_letter(record: ConsumedRecord, error: MalformedMessageError, consumer: str) -> Message:
    """The dead-letter record for a Kafka record that failed to decode."""
    original = [(name, value or b"") for name, value in (record.headers or [])]
    about = {
        "dlq_reason": error.reason,
        "dlq_detail": error.detail,
        "dlq_topic": record.topic,
        "dlq_partition": str(record.partition),
        "dlq_offset": str(record.offset),
        "dlq_consumer": consumer,
        "dlq_time": datetime.now(UTC).isoformat(),
    }
    headers = original + [(name, text.encode("utf-8")) for name, text in about.items()]
    return Message(key=record.key or b"", value=record.value or b"", headers=headers)


class DeadLetters:
    """Sends dead letters and waits until Kafka has them."""

    def __init__(self, producer_factory: Any, topic: str, consumer: str) -> None:
        self._producer_factory = producer_factory
        self._producer: Any = None
        self._topic = topic
        self._consumer = consumer

    def send(self, refused: Sequence[Refused]) -> None:
        """Dead-letter every refused record, or raise BrokerUnavailableError."""
        if self._producer is None:
            self._producer = self._producer_factory()
        messages = [(self._topic, dead_letter(r, e, self._consumer)) for r, e in refused]
        send_and_wait(self._producer, messages)

    def close(self) -> None:
        """Close the producer."""
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None
