"""Prometheus metrics of a projection runner: lag, chain head, records handled."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

from projections.storage.writer import Applied


class RunnerMetrics:
    """The runner's metrics, in a registry of their own (served on request)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._lag = Gauge(
            "partner_registry_projection_lag_records",
            "Records on the events topic not yet read, per partition.",
            ["partition"],
            registry=self.registry,
        )
        self._head = Gauge(
            "partner_registry_projection_chain_head",
            "Sequence number of the last verified audit-trail entry.",
            registry=self.registry,
        )
        self._applied = Counter(
            "partner_registry_projection_events_applied",
            "Events applied to the read models.",
            registry=self.registry,
        )
        self._duplicates = Counter(
            "partner_registry_projection_duplicates_ignored",
            "Re-sent records recognised and ignored.",
            registry=self.registry,
        )
        self._waited = Counter(
            "partner_registry_projection_events_waited",
            "Events that reached the trail after waiting in storage for a predecessor.",
            registry=self.registry,
        )
        self._dead_lettered = Counter(
            "partner_registry_projection_dead_lettered",
            "Records sent to the dead-letter topic.",
            registry=self.registry,
        )

    def applied(self, applied: Applied, refused: int) -> None:
        """Count one batch."""
        self._applied.inc(applied.new)
        self._duplicates.inc(applied.duplicates)
        self._waited.inc(applied.waited)
        self._dead_lettered.inc(refused)
        self._head.set(applied.chain_head.sequence)

    def lag(self, lag: Mapping[int, int], head: int) -> None:
        """Record the lag of each assigned partition."""
        for partition, records in lag.items():
            self._lag.labels(partition=str(partition)).set(records)
        self._head.set(head)

    def serve(self, port: int) -> None:
        """Expose the metrics over HTTP for Prometheus to scrape."""
        start_http_server(port, registry=self.registry)
