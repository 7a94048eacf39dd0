"""Prometheus metrics of the API process: requests, events recorded, and lag."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from registry.api.readiness import Readiness


class _LagCollector(Collector):
    """Reads the lag from the databases when Prometheus scrapes."""

    def __init__(self, readiness: Readiness) -> None:
        self._readiness = readiness

    def collect(self) -> Iterator[GaugeMetricFamily]:
        lag = self._readiness.lag()
        if lag.relay_backlog is not None:
            yield GaugeMetricFamily(
                "partner_registry_relay_backlog_events",
                "Partner events in the store not yet published (capped at 1000).",
                value=lag.relay_backlog,
            )
        if lag.projection_lag is not None:
            yield GaugeMetricFamily(
                "partner_registry_projection_lag_events",
                "Events published but not yet in the verified audit trail.",
                value=lag.projection_lag,
            )


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
        self.registry.register(_LagCollector(readiness))

    def render(self) -> bytes:
        """The Prometheus text exposition."""
        return generate_latest(self.registry)
