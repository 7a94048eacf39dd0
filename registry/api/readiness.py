"""Whether the service can do its job: database, broker, and how far behind the read side is."""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any

from psycopg.errors import UndefinedTable

from consumers.broker import new_admin
from infra.topics import EVENTS, declared_topics
from projections.store import ReadModelStore
from registry.application import PartnerRegistry
from registry.config import Settings
from registry.public_record import PARTNER_EVENT_TOPICS
from registry.sqldb import Database

_BROKER_CHECK_SECONDS = 5.0
_BACKLOG_CAP = 1000


@dataclass(frozen=True)
class Lag:
    """Events recorded but not yet published, and published but not yet projected."""

    relay_backlog: int | None
    projection_lag: int | None


class Readiness:
    """Checks the parts the API depends on; the broker check is cached briefly."""

    def __init__(
        self, settings: Settings, registry: PartnerRegistry, store_db: Database,
        read_models: ReadModelStore,
    ) -> None:  # fmt: skip
        self._settings = settings
        self._events_topic = declared_topics(settings.kafka_topic_prefix)[EVENTS].name
        self._registry = registry
        self._store_db = store_db
        self._read_models = read_models
        self._broker: tuple[float, str] = (0.0, "unknown")
        self._lock = threading.Lock()

    def report(self) -> tuple[bool, dict[str, Any]]:
        """Whether ready, and the details."""
        checks: dict[str, Any] = {
            "event_store": _status(self._ping_store),
            "read_models": _status(self._read_models.chain_head),
            "broker": self.broker(),
        }
        ready = all(checks[name] in ("ok", "not configured") for name in checks)
        if checks["event_store"] == "ok" and checks["read_models"] == "ok":
            lag = self.lag()
            checks["relay_backlog"] = lag.relay_backlog
            checks["projection_lag"] = lag.projection_lag
        return ready, checks

    def lag(self) -> Lag:
        """How far the relay and the read models are behind the store."""
        relay = self._relay_position()
        if relay is None:
            return Lag(relay_backlog=None, projection_lag=None)
        notification_id, sequence = relay
        backlog = len(
            self._registry.recorder.select_notifications(
                notification_id, _BACKLOG_CAP, topics=PARTNER_EVENT_TOPICS,
                inclusive_of_start=False,
            )
        )  # fmt: skip
        head = self._read_models.chain_head().sequence
        return Lag(relay_backlog=backlog, projection_lag=max(sequence - head, 0))

    def broker(self) -> str:
        """ok, not configured, or why the broker cannot be reached (cached a few seconds)."""
        if not self._settings.kafka_bootstrap_servers:
            return "not configured"
        with self._lock:
            checked_at, verdict = self._broker
            if time.monotonic() - checked_at < _BROKER_CHECK_SECONDS:
                return verdict
            verdict = _status(self._list_topics)
            self._broker = (time.monotonic(), verdict)
            return verdict

    def _ping_store(self) -> None:
        """Ask the store's database directly: the event-store library retries for long."""
        with self._store_db.transaction() as tx:
            tx.execute("SELECT 1")

    def _list_topics(self) -> None:
        admin = new_admin(self._settings)
        try:
            admin.list_topics()
        finally:
            admin.close()

    def _relay_position(self) -> tuple[int, int] | None:
        """The relay's saved position; None until a relay has run (no table yet)."""
        try:
            with self._store_db.transaction() as tx:
                rows = tx.execute(
                    "SELECT notification_id, sequence FROM relay_position WHERE name = ?",
                    (self._events_topic,),
                )
        except (UndefinedTable, sqlite3.OperationalError):
            return None
        return (int(rows[0][0]), int(rows[0][1])) if rows else None


def _status(check: Any) -> str:
    try:
        check()
    except Exception as error:
        return f"unavailable: {type(error).__name__}"
    return "ok"
