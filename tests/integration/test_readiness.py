"""/readyz tells the truth about what is served, and answers at once whatever is down."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from consumers.parts.health import DEGRADED, PartHealth
from infra.local.broker import LocalBroker, free_port
from registry.api.app import create_app
from registry.bootstrap import build_feed_publisher, build_read_models, open_database
from registry.config import Settings
from registry.service.application import PartnerRegistry
from tests.conftest import open_registry
from tests.histories import more_events, stored_records
from tests.kafka_helpers import in_a_thread, relay_settings, running_projection, running_relay

pytestmark = pytest.mark.postgres


def readiness(client: TestClient) -> tuple[int, dict[str, Any]]:
    answer = client.get("/readyz")
    return answer.status_code, answer.json()


def eventually_ready(
    client: TestClient, ready: bool, timeout: float = 30, because: str = "", *, only: bool = False
) -> dict[str, Any]:
    """The first checked answer that is (or is not) ready, for the reason given if any."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = readiness(client)
        checked = body["checks"]["checked_seconds_ago"] is not None
        reasons = " | ".join(body["reasons"])
        alone = not only or len(body["reasons"]) == 1
        if checked and (status == 200) == ready and because in reasons and alone:
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.2)


def test_not_ready_while_the_read_models_and_feed_trail_the_store_ready_once_caught_up(
    postgres_url: str, broker: LocalBroker, tmp_path: Path
) -> None:
    settings = relay_settings(
        postgres_url, broker.bootstrap_servers, feed_dir=str(tmp_path / "feeds"),
        ready_max_lag_events=5,
    )  # fmt: skip
    writer = open_registry(postgres_url)
    more_events(writer, 30)

    with TestClient(create_app(settings)) as client:
        behind = eventually_ready(client, ready=False, because="read models are 30 events")
        with running_relay(settings), running_projection(settings) as store:
            while store.chain_head().sequence < len(stored_records(writer)):
                time.sleep(0.1)
            models_only = eventually_ready(
                client, ready=False, because="feed is 30 events", only=True
            )
            with in_a_thread(build_feed_publisher(settings, store).run):
                caught_up = eventually_ready(client, ready=True)
    total = len(stored_records(writer))
    writer.close()

    assert "the read models are 30 events behind the event store" in behind["reasons"]
    assert models_only["reasons"] == ["the feed is 30 events behind the event store"]
    assert caught_up["reasons"] == []
    assert caught_up["checks"]["views"]["feed_head"] == total


def test_not_ready_while_the_oldest_unapplied_event_is_older_than_the_limit(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings.model_validate(
        {"database_url": postgres_url, "feed_dir": str(tmp_path), "ready_max_age_seconds": 1}
    )
    writer: PartnerRegistry = open_registry(postgres_url)
    more_events(writer, 1)
    writer.close()

    with TestClient(create_app(settings)) as client:
        time.sleep(1.5)
        body = eventually_ready(client, ready=False)

    assert any("read models are" in r and " s behind" in r for r in body["reasons"]), body


def test_a_silent_or_failing_part_makes_the_instance_not_ready_and_says_which(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings.model_validate(
        {"database_url": postgres_url, "feed_dir": str(tmp_path), "part_silence_seconds": 20}
    )
    store = build_read_models(settings)
    store.close()
    clock = [time.time() - 120]
    db = open_database(postgres_url, settings)
    silent = PartHealth(db, "relay", clock=lambda: clock[0])
    silent.started()
    failing = PartHealth(db, "project")
    failing.started()
    failing.beat("waiting", "OperationalError: connection refused")

    with TestClient(create_app(settings)) as client:
        body = eventually_ready(client, ready=False)
    db.close()

    assert any(r.startswith("relay has not reported for") for r in body["reasons"]), body
    assert "project is waiting: OperationalError: connection refused" in body["reasons"]
    assert body["checks"]["parts"]["project"]["starts"] == 1


def test_readiness_answers_within_a_second_while_the_broker_is_unreachable(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = relay_settings(postgres_url, f"127.0.0.1:{free_port()}", feed_dir=str(tmp_path))

    with TestClient(create_app(settings)) as client:
        time.sleep(2)

        def timed(_: int) -> tuple[float, int]:
            started = time.monotonic()
            status = client.get("/readyz").status_code
            return time.monotonic() - started, status

        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(timed, range(60)))
        metrics = client.get("/metrics")

    # Waiting on the unreachable broker would take seconds per call (it did:
    # 10 s); answered from the snapshot it takes milliseconds. The bounds
    # leave room for a test machine busy with other tests (a median of 0.35 s
    # was seen with twenty requests at once on two busy cores).
    times = sorted(seconds for seconds, _ in answers)
    assert times[len(times) // 2] < 1.0, times
    assert times[-1] < 2.0, times
    assert {status for _, status in answers} <= {200, 503}
    assert metrics.status_code == 200


def test_a_part_that_refused_records_leaves_the_instance_ready_but_degraded(
    postgres_url: str, tmp_path: Path
) -> None:
    # Given every part running, the runner having refused a forged record
    settings = Settings.model_validate({"database_url": postgres_url, "feed_dir": str(tmp_path)})
    build_read_models(settings).close()
    db = open_database(postgres_url, settings)
    for part in ("relay", "publish-feed"):
        health = PartHealth(db, part)
        health.started()
        health.beat()
    runner = PartHealth(db, "project")
    runner.started()
    runner.beat(DEGRADED, "1 records refused; the latest: unsigned: sequence 9")

    # When readiness is asked
    with TestClient(create_app(settings)) as client:
        body = eventually_ready(client, ready=True)
    db.close()

    # Then it serves (200), says degraded, and why
    assert body["status"] == "degraded"
    assert body["warnings"] == [
        "project is degraded: 1 records refused; the latest: unsigned: sequence 9"
    ]


def test_not_ready_after_start_until_the_read_models_caught_up_once_even_within_the_lag_limit(
    postgres_url: str, broker: LocalBroker, tmp_path: Path
) -> None:
    settings = relay_settings(
        postgres_url, broker.bootstrap_servers, feed_dir=str(tmp_path / "feeds"),
        ready_max_lag_events=5,
    )  # fmt: skip
    writer = open_registry(postgres_url)
    more_events(writer, 3)

    with TestClient(create_app(settings)) as client:
        starting = eventually_ready(client, ready=False, because="have not caught up")
        with running_relay(settings), running_projection(settings) as store, \
                in_a_thread(build_feed_publisher(settings, store).run):  # fmt: skip
            caught_up = eventually_ready(client, ready=True)
        more_events(writer, 2)
        time.sleep(1.5)
        within_the_limit = eventually_ready(client, ready=True)
    writer.close()

    assert starting["reasons"][0] == (
        "the read models have not caught up with the event store since start (3 events behind)"
    )
    assert caught_up["reasons"] == []
    assert within_the_limit["checks"]["views"]["read_models_behind_events"] == 2
