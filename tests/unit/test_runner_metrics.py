"""The projection runner's Prometheus metrics."""

from __future__ import annotations

from prometheus_client import generate_latest

from consumers.read_side.metrics import RunnerMetrics
from projections.audit_trail import ChainHead
from projections.storage.writer import Applied


def test_metrics_count_applied_duplicate_waiting_and_dead_lettered_records_and_show_lag() -> None:
    metrics = RunnerMetrics()

    metrics.applied(
        Applied(new=7, duplicates=2, chain_head=ChainHead(7, "a" * 64), waited=4), refused=1
    )
    metrics.lag({0: 3, 2: 0}, head=7)

    text = generate_latest(metrics.registry).decode()
    assert "partner_registry_projection_events_applied_total 7.0" in text
    assert "partner_registry_projection_duplicates_ignored_total 2.0" in text
    assert "partner_registry_projection_events_waited_total 4.0" in text
    assert "partner_registry_projection_dead_lettered_total 1.0" in text
    assert 'partner_registry_projection_lag_records{partition="0"} 3.0' in text
    assert "partner_registry_projection_chain_head 7.0" in text
