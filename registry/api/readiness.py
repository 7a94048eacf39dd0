"""Whether this instance can serve current data, answered at once from cached state.

A monitor thread measures, once a second, the databases, how far the read
models and the feed trail the event store (``health_checks``), and the
beats of the long-running parts; the broker is checked on a thread of its
own, since an unreachable broker takes seconds to say so. ``/readyz`` and
``/metrics`` read the last snapshot and never wait for a check; a snapshot
that stopped being refreshed is itself reported as not ready.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from consumers.messaging.broker import new_admin
from consumers.parts.health import DEGRADED, RUNNING, PartState, instances
from consumers.parts.resilience import describe
from projections.storage.queries import ReadModelQueries
from registry.adapters.sqldb import Database
from registry.api.feed_files import FeedFiles
from registry.api.health_checks import FeedHead, Views, measure
from registry.config import Settings
from registry.service.application import PartnerRegistry

log = structlog.get_logger(__name__)

_REFRESH_SECONDS = 1.0
_BROKER_CHECK_SECONDS = 5.0
_STALLED_AFTER_SECONDS = 5.0
_WORKING = (RUNNING, DEGRADED, "leading", "standing by")


@dataclass
class Snapshot:
    """The last measurement, and why (if at all) the instance is not ready."""

    taken_at: float = 0.0
    checks: dict[str, Any] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=lambda: ["not checked yet"])
    warnings: list[str] = field(default_factory=list)
    views: Views | None = None
    parts: dict[str, list[PartState]] = field(default_factory=dict)


class Readiness:
    """Keeps the snapshot fresh; see the module docstring."""

    def __init__(
        self, settings: Settings, registry: PartnerRegistry, store_db: Database,
        read_models: ReadModelQueries, feeds: FeedFiles, clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        self._settings = settings
        self._registry = registry
        self._store_db = store_db
        self._read_models = read_models
        self._feed = FeedHead(feeds)
        self._clock = clock
        self._broker = "not configured" if not settings.kafka_bootstrap_servers else "unknown"
        self.snapshot = Snapshot()
        self._stop = threading.Event()
        self._caught_up = False

    def start(self) -> None:
        """Begin measuring in the background."""
        loops: list[tuple[Callable[[], object], float]] = [(self.refresh, _REFRESH_SECONDS)]
        if self._settings.kafka_bootstrap_servers:
            loops.append((self._check_broker, _BROKER_CHECK_SECONDS))
        for action, seconds in loops:
            threading.Thread(target=self._every, args=(action, seconds), daemon=True).start()

    def stop(self) -> None:
        """Stop measuring."""
        self._stop.set()

    def report(self) -> tuple[bool, dict[str, Any]]:
        """Whether ready, and the details, from the last snapshot."""
        snapshot = self.snapshot
        reasons = list(snapshot.reasons)
        age = self._clock() - snapshot.taken_at
        if snapshot.taken_at and age > _STALLED_AFTER_SECONDS:
            reasons.append(f"the health checks have not completed for {age:.0f} s")
        body = dict(snapshot.checks)
        body["checked_seconds_ago"] = round(age, 1) if snapshot.taken_at else None
        return not reasons, {"reasons": reasons, "warnings": list(snapshot.warnings), **body}

    def refresh(self) -> Snapshot:
        """Measure everything once and keep it as the snapshot."""
        now = self._clock()
        checks: dict[str, Any] = {"broker": self._broker}
        reasons: list[str] = []
        checks["event_store"] = _status(self._ping_store)
        checks["read_models"] = _status(self._read_models.chain_head)
        reasons += [f"{name} {checks[name]}" for name in ("event_store", "read_models")
                    if checks[name] != "ok"]  # fmt: skip
        views, parts, warnings = None, {}, []
        if not reasons:
            try:
                views = measure(self._registry, self._read_models, self._feed, now)
                parts = instances(self._read_models.database)
            except Exception as error:
                reasons.append(f"measuring failed: {describe(error)}")
            else:
                checks["views"] = _views_json(views)
                checks["parts"] = self._parts_json(parts, now)
                reasons += self._views_reasons(views) + self._parts_reasons(parts, now)
                warnings = self._parts_warnings(parts, now)
        self.snapshot = Snapshot(now, checks, reasons, warnings, views, parts)
        return self.snapshot

    def _views_reasons(self, views: Views) -> list[str]:
        """Lag within the limits is ready, but only once the read models caught up after start.

        A server just started over read models that are far behind (restored,
        rebuilt) would otherwise call itself ready while serving an empty page.
        """
        limits, found = self._settings, []
        self._caught_up = self._caught_up or views.projection.events == 0
        if not self._caught_up:
            found.append(
                f"the read models have not caught up with the event store since start "
                f"({views.projection.events} events behind)"
            )
        for name, behind in (("read models are", views.projection), ("feed is", views.feed)):
            if behind.events > limits.ready_max_lag_events:
                found.append(f"the {name} {behind.events} events behind the event store")
            elif behind.seconds > limits.ready_max_age_seconds:
                found.append(f"the {name} {behind.seconds:.0f} s behind the event store")
        return found

    def _parts_reasons(self, parts: dict[str, list[PartState]], now: float) -> list[str]:
        """A part is down when no instance reports; in trouble when a reporting one is."""
        found = []
        for name, states in sorted(parts.items()):
            alive = self._alive(states, now)
            if not alive:
                found.append(f"{name} has not reported for {now - states[0].beat_at:.0f} s")
            found += [f"{name} is {p.state}: {p.detail}" for p in alive if p.state not in _WORKING]
        return found

    def _parts_warnings(self, parts: dict[str, list[PartState]], now: float) -> list[str]:
        """Parts serving what they verified after refusing records: ready, but say so."""
        return [
            f"{name} is degraded: {p.detail}"
            for name, states in sorted(parts.items())
            for p in self._alive(states, now)
            if p.state == DEGRADED
        ]

    def _alive(self, states: list[PartState], now: float) -> list[PartState]:
        return [p for p in states if now - p.beat_at <= self._settings.part_silence_seconds]

    def _parts_json(self, parts: dict[str, list[PartState]], now: float) -> dict[str, Any]:
        return {
            name: {"starts": states[0].starts, "instances": [
                {"instance": p.instance, "state": p.state, "detail": p.detail,
                 "reported_seconds_ago": round(now - p.beat_at, 1)}
                for p in self._alive(states, now) or states[:1]
            ]}
            for name, states in sorted(parts.items())
        }  # fmt: skip

    def _every(self, action: Callable[[], object], seconds: float) -> None:
        while not self._stop.is_set():
            try:
                action()
            except Exception as error:
                log.warning("health check failed", error=describe(error))
            self._stop.wait(seconds)

    def _check_broker(self) -> None:
        self._broker = _status(self._list_topics)

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


def _views_json(views: Views) -> dict[str, Any]:
    return {
        "chain_head": views.chain_head,
        "read_models_behind_events": views.projection.events,
        "read_models_behind_seconds": round(views.projection.seconds, 1),
        "feed_head": views.feed_head,
        "feed_behind_events": views.feed.events,
        "feed_behind_seconds": round(views.feed.seconds, 1),
    }


def _status(check: Callable[[], object]) -> str:
    try:
        check()
    except Exception as error:
        return f"unavailable: {type(error).__name__}"
    return "ok"
