"""The relay: publishes every stored partner event to Kafka, in store order.

A transactional outbox where the outbox is the event store itself: the relay
follows the store's notification log from its saved position, sends each
partner event (and the partner's new state) to Kafka, and saves the new
position only once Kafka has acknowledged. A crash therefore re-sends,
never skips; consumers drop re-sent records by position.

Only the leading relay publishes; others wait as hot standbys. When the
broker is unreachable the relay backs off and retries; when the broker
comes back without the history (the local broker keeps it in memory only),
the relay republishes everything from the start.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from consumers.messaging.broker import BrokerUnavailableError
from consumers.parts.health import PartHealth
from consumers.parts.resilience import Backoff, describe
from consumers.parts.wakeups import Wakeup
from consumers.relay.batches import Batches, BatchReader
from consumers.relay.checkpointer import Checkpointer
from consumers.relay.partner_states import PartnerStates
from consumers.relay.positions import (
    START,
    LeadershipLostError,
    RelayPositions,
)
from projections.current_partners import PartnerRow
from registry.adapters.sqldb import DATABASE_UNAVAILABLE
from registry.record.messages import Message, PublishedEvent, encode_event, encode_state
from registry.service.application import PartnerRegistry

log = structlog.get_logger(__name__)


class Outbound(Protocol):
    """What the relay needs of Kafka (see ``consumers.messaging.broker.KafkaOutbound``)."""

    def send(self, messages: Sequence[tuple[str, Message]]) -> None:
        """Send and wait for acknowledgement, or raise BrokerUnavailableError."""

    def holds_history(self) -> bool:
        """Whether the events topic exists and holds any record."""

    def ensure_topics(self) -> None:
        """Create the declared topics that are missing."""

    def reconnect(self) -> None:
        """Drop the clients; the next call connects afresh."""

    def close(self) -> None:
        """Flush and release the clients."""


@dataclass(frozen=True)
class RelayOptions:
    """Topic names and timing."""

    events_topic: str
    state_topic: str
    source: str
    batch_size: int = 500
    safety_poll: float = 5.0
    standby_poll: float = 1.0
    max_backoff: float = 10.0


class Relay:
    """Publishes the store's partner events to Kafka while it holds the lead."""

    def __init__(
        self,
        registry: PartnerRegistry,
        positions: RelayPositions,
        wakeup: Wakeup,
        kafka: Outbound,
        options: RelayOptions,
        checkpointer: Checkpointer | None = None,
        health: PartHealth | None = None,
        batches: Batches | None = None,
    ) -> None:
        self._registry = registry
        self._positions = positions
        self._wakeup = wakeup
        self._kafka = kafka
        self._options = options
        self._checkpointer = checkpointer
        self._batches = batches or BatchReader(registry, None, options.batch_size)
        self._health = health
        self._states = PartnerStates(registry)
        self._position = START
        self._log = log.bind(topic=options.events_topic)

    def run(self, stop: threading.Event) -> None:
        """Lead or stand by, publish while leading, until ``stop`` is set.

        Losing the database (a restart, a dropped connection) costs the lead:
        the relay lets go, waits, and competes for the lead again, so a
        standby may take over meanwhile and nothing is published twice
        beyond the batch in flight.
        """
        backoff = Backoff(self._options.standby_poll, self._options.max_backoff)
        while not stop.is_set():
            try:
                self._lead_or_stand_by(stop)
                backoff.reset()
            except LeadershipLostError as error:
                self._log.warning("relay lost the lead", error=str(error))
            except DATABASE_UNAVAILABLE as error:
                self._wait_out("event store unavailable", error, backoff, stop)
            self._positions.close()
            self._states.clear()
        self.close()

    def _lead_or_stand_by(self, stop: threading.Event) -> None:
        standing_by = False
        while not self._positions.try_lead():
            if not standing_by:
                self._log.info("relay standing by: another relay is publishing")
                standing_by = True
            self._beat("standing by")
            if stop.wait(self._options.standby_poll):
                return
        self._log.info("relay leading")
        self._lead(stop)

    def _beat(self, state: str, detail: str = "") -> None:
        if self._health is not None:
            self._health.beat(state, detail)

    def close(self) -> None:
        """Give up the lead and release every connection."""
        self._positions.close()
        self._wakeup.close()
        self._kafka.close()
        if self._checkpointer is not None:
            self._checkpointer.close()
        self._batches.close()

    def drain(self) -> int:
        """Publish everything pending, then return how many events were sent."""
        if not self._positions.try_lead():
            raise LeadershipLostError("another relay is publishing")
        self._position = self._positions.load()
        self._verify_broker()
        sent = 0
        while count := self.publish_batch():
            sent += count
        return sent

    def _lead(self, stop: threading.Event) -> None:
        self._position = self._positions.load()
        self._retrying(stop, self._verify_broker)
        last_look = time.monotonic()
        while not stop.is_set():
            self._beat("leading")
            if self._retrying(stop, self.publish_batch):
                self._wakeup.activity()
                self._retrying(stop, self._checkpoint_if_due)
                continue
            self._sleep_until_news(stop, last_look + self._options.safety_poll)
            if time.monotonic() - last_look >= self._options.safety_poll:
                last_look = time.monotonic()
                self._retrying(stop, self._verify_broker)
                self._retrying(stop, self._checkpoint_if_due)

    def _sleep_until_news(self, stop: threading.Event, deadline: float) -> None:
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._wakeup.wait(min(remaining, 0.5)):
                return

    def _retrying(self, stop: threading.Event, action: Callable[[], Any]) -> Any:
        """Run ``action``; while the broker is unreachable, back off and retry.

        After a failure nothing is published until the broker has been seen
        to hold the history (it may have come back empty): publishing first
        would put later events on a topic that lacks the earlier ones.
        """
        backoff = Backoff(0.5, self._options.max_backoff)
        verified = True
        while not stop.is_set():
            try:
                if not verified:
                    self._verify_broker()
                    verified = True
                return action()
            except BrokerUnavailableError as error:
                verified = False
                self._wait_out("broker unavailable", error, backoff, stop)
                self._kafka.reconnect()
                self._states.clear()
        return None

    def _wait_out(
        self, what: str, error: Exception, backoff: Backoff, stop: threading.Event
    ) -> None:
        """Log the fault, say so in the health beats, and wait the next delay."""
        delay = backoff.next_delay()
        self._log.warning(
            f"{what}; retrying", error=describe(error),
            attempt=backoff.failures, retry_in_seconds=round(delay, 2),
        )  # fmt: skip
        self._beat("waiting", f"{what}: {describe(error)}")
        stop.wait(delay)

    def _verify_broker(self) -> None:
        """Create missing topics; republish from the start if the history is gone."""
        if self._position.sequence > 0 and not self._kafka.holds_history():
            self._log.warning(
                "broker has lost the published history; republishing from the start",
                published_before=self._position.sequence,
            )
            self._positions.advance(self._position, START)
            self._position = START
            self._states.clear()
            self._kafka.ensure_topics()
            if self._checkpointer is not None:
                self._checkpointer.republish(self._kafka.send)
        self._kafka.ensure_topics()

    def _checkpoint_if_due(self) -> None:
        if self._checkpointer is not None and self._checkpointer.due(self._position):
            self._checkpointer.sign(self._position, self._kafka.send)

    def publish_batch(self) -> int:
        """Send the next batch of events and advance the position; return its size."""
        batch = self._batches.next(self._position)
        if not batch.events:
            return 0
        try:
            self._kafka.send(self._messages(batch.events))
        except BrokerUnavailableError:
            self._batches.forget()
            raise
        self._batches.keep(batch)
        self._positions.advance(self._position, batch.position)
        self._position = batch.position
        self._log.info(
            "published",
            events=len(batch.events),
            last_position=batch.position.notification_id,
            last_sequence=batch.position.sequence,
        )
        return len(batch.events)

    def _messages(self, events: Sequence[PublishedEvent]) -> list[tuple[str, Message]]:
        """Each event, then the latest state of each partner the batch changed."""
        options = self._options
        messages = [(options.events_topic, encode_event(e, source=options.source)) for e in events]
        latest: dict[str, tuple[PartnerRow, int]] = {}
        for event in events:
            row = self._states.advance(event.record, event.position)
            latest[row.partner_id] = (row, event.sequence)
        states = [
            encode_state(row.to_json(), source=options.source, sequence=sequence)
            for row, sequence in latest.values()
        ]
        return messages + [(options.state_topic, message) for message in states]
