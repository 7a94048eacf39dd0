"""Prometheus metrics of the API process: requests, events recorded, lag, and the parts' health."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from consumers.parts.health import PartState
from registry.api.health_checks import Views
from registry.api.readiness import Readiness


class _HealthCollector(Collector):
    """Reports the readiness monitor's last snapshot when Prometheus scrapes."""

    def __init__(self, readiness: Readiness) -> None:
        self._readiness = readiness

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        snapshot = self._readiness.snapshot
        yield GaugeMetricFamily(
            "partner_registry_ready", "1 when this instance serves current data.",
            value=0 if self._readiness.report()[0] is False else 1,
        )  # fmt: skip
        if snapshot.views is not None:
            yield from _view_metrics(snapshot.views)
        yield from _part_metrics(snapshot.parts, snapshot.taken_at)


def _view_metrics(views: Views) -> Iterator[GaugeMetricFamily]:
    gauges = [
        ("partner_registry_projection_lag_events",
         "Events in the store not yet in the read models (capped at 1000).",
         views.projection.events),
        ("partner_registry_projection_lag_seconds",
         "How long the oldest event not yet in the read models has been recorded.",
         views.projection.seconds),
        ("partner_registry_feed_lag_events",
         "Events in the store not yet in the published feed.", views.feed.events),
        ("partner_registry_feed_lag_seconds",
         "How long the oldest event not yet in the published feed has been recorded.",
         views.feed.seconds),
    ]  # fmt: skip
    if views.newest_applied_age is not None:
        gauges.append(
            ("partner_registry_newest_applied_event_age_seconds",
             "Time since the newest event in the read models was recorded.",
             views.newest_applied_age)
        )  # fmt: skip
    for name, documentation, value in gauges:
        yield GaugeMetricFamily(name, documentation, value=value)


def _part_metrics(
    parts: dict[str, list[PartState]], now: float
) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
    starts = CounterMetricFamily(
        "partner_registry_part_starts", "Times each part was started.", labels=["part"]
    )
    silent = GaugeMetricFamily(
        "partner_registry_part_last_report_age_seconds",
        "Time since any instance of the part last reported.", labels=["part"],
    )  # fmt: skip
    for name, states in sorted(parts.items()):
        starts.add_metric([name], states[0].starts)
        silent.add_metric([name], max(now - states[0].beat_at, 0.0))
    yield starts
    yield silent


class ApiMetrics:
    """The API's metrics, in a registry of their own."""

    def __init__(self, readiness: Readiness) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "partner_registry_http_requests",
            "HTTP requests answered.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "partner_registry_http_request_seconds",
            "Time to answer an HTTP request.",
            ["method", "route"],
            registry=self.registry,
        )
        self.events = Counter(
            "partner_registry_events_recorded",
            "Events recorded through the API.",
            ["type"],
            registry=self.registry,
        )
        self.registry.register(_HealthCollector(readiness))

    def render(self) -> bytes:
        """The Prometheus text exposition."""
        return generate_latest(self.registry)
