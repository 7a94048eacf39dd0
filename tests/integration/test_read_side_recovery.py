"""The read side heals itself: lost connections, a broker gone and a bad disk are waited out."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pytest

from infra.local.broker import LocalBroker
from registry.bootstrap import build_read_models
from registry.config import Settings
from registry.service.application import PartnerRegistry
from tests.feed_helpers import published_head
from tests.histories import more_events, scripted_history, stored_records
from tests.kafka_helpers import (
    ServiceProcess,
    relay_settings,
    running_projection,
    running_relay,
    service_env,
    steady_writes,
    wait_for,
)
from tests.os_faults import connections_of, remount, small_disk, terminate_connections
from tests.read_model_helpers import dump, expected_dump

pytestmark = pytest.mark.postgres


def chain_head(settings: Settings) -> int:
    store = build_read_models(settings)
    try:
        return store.chain_head().sequence
    finally:
        store.close()


@contextmanager
def terminating_every(seconds: float, database_url: str, application: str) -> Iterator[list[int]]:
    """Terminate the application's connections every few seconds while the block runs."""
    killed: list[int] = []
    stop = threading.Event()

    def keep_killing() -> None:
        while not stop.wait(seconds):
            killed.append(terminate_connections(database_url, application))

    thread = threading.Thread(target=keep_killing, daemon=True)
    thread.start()
    try:
        yield killed
    finally:
        stop.set()
        thread.join(10)


def test_runner_and_feed_publisher_outlive_their_database_connections_being_terminated(
    postgres_url: str, broker: LocalBroker, pg_writer: PartnerRegistry, tmp_path: Path
) -> None:
    settings = relay_settings(postgres_url, broker.bootstrap_servers)
    scripted_history(pg_writer, partners=10)
    feeds = tmp_path / "feeds"
    env = service_env(settings, FEED_DIR=str(feeds), PGAPPNAME="read-side-under-test")
    runner = ServiceProcess(["project"], tmp_path / "project.log", env)
    publisher = ServiceProcess(["publish-feed"], tmp_path / "feed.log", env)

    try:
        # The relay runs until the read side has caught up: stopped with the writes,
        # it could miss the last one written (seen once on a busy machine).
        with running_relay(settings):
            # Both started and connected first: on a loaded machine their start-up took
            # several of the ten ticks below, which then found nothing to end.
            wait_for(lambda: connections_of(postgres_url, "read-side-under-test") >= 2, 60)
            with (
                steady_writes(postgres_url, pause=0.1),
                terminating_every(1.0, postgres_url, "read-side-under-test") as killed,
            ):
                time.sleep(10)
            total = len(stored_records(pg_writer))
            wait_for(lambda: chain_head(settings) == total, timeout=60)
            wait_for(lambda: published_head(feeds) == total, timeout=60)
        alive = runner.process.poll() is None and publisher.process.poll() is None
        store = build_read_models(settings)
        final = dump(store)
        store.close()

        assert sum(killed) >= 10
        assert alive, (runner.log_path.read_text()[-2000:], publisher.log_path.read_text()[-2000:])
        assert final == expected_dump(pg_writer, tmp_path)
        assert runner.stop() == 0
        assert publisher.stop() == 0
        assert "Traceback" not in runner.log_path.read_text() + publisher.log_path.read_text()
    finally:
        for part in (runner, publisher):
            if part.process.poll() is None:
                part.kill()  # a failed check must not leave them running


def test_the_runner_waits_out_a_broker_that_dies_under_load_and_comes_back(
    postgres_url: str, pg_writer: PartnerRegistry, tmp_path: Path
) -> None:
    broker = LocalBroker()
    broker.start()
    settings = relay_settings(postgres_url, broker.bootstrap_servers, projection_stall_seconds=2)
    more_events(pg_writer, 200)
    runner = ServiceProcess(["project"], tmp_path / "project.log", service_env(settings))
    try:
        with running_relay(settings):
            with steady_writes(postgres_url):
                wait_for(partial(runner.logged, "applied"), timeout=60)
                broker.stop()
                wait_for(partial(runner.logged, "projection waiting out a fault"), timeout=60)
                time.sleep(3)
                broker.start()
                time.sleep(2)
            total = len(stored_records(pg_writer))
            wait_for(lambda: chain_head(settings) == total, timeout=120)
        alive = runner.process.poll() is None
    finally:
        broker.stop()
        if runner.process.poll() is None:
            runner.stop()

    assert alive, runner.log_path.read_text()[-3000:]
    assert runner.process.returncode == 0
    assert "Traceback" not in runner.log_path.read_text()


def test_the_feed_publisher_waits_out_a_full_disk_and_a_read_only_folder(
    postgres_url: str, broker: LocalBroker, pg_writer: PartnerRegistry, tmp_path: Path
) -> None:
    settings = relay_settings(postgres_url, broker.bootstrap_servers)
    scripted_history(pg_writer, partners=5)
    with (
        small_disk(tmp_path / "feeds") as feeds,
        running_relay(settings),
        running_projection(settings) as store,
    ):
        filler = feeds / "filler"
        filler.write_bytes(b"\0" * 200_000)
        with pytest.raises(OSError, match="No space left"):
            (feeds / "more").write_bytes(b"\0" * 100_000)
        env = service_env(settings, FEED_DIR=str(feeds))
        publisher = ServiceProcess(["publish-feed"], tmp_path / "feed.log", env)
        wait_for(partial(publisher.logged, "feeds not published; will retry"), timeout=30)
        (feeds / "more").unlink(missing_ok=True)
        filler.unlink()
        wait_for(lambda: published_head(feeds) == store.chain_head().sequence > 0, timeout=60)

        remount(feeds, "ro")
        more_events(pg_writer, 5)
        wait_for(lambda: store.chain_head().sequence == len(stored_records(pg_writer)), 60)
        time.sleep(2)
        behind_while_read_only = published_head(feeds) < store.chain_head().sequence
        remount(feeds, "rw")
        wait_for(lambda: published_head(feeds) == store.chain_head().sequence, timeout=60)
        alive = publisher.process.poll() is None

    assert behind_while_read_only
    assert alive, publisher.log_path.read_text()[-2000:]
    assert publisher.stop() == 0
    log = publisher.log_path.read_text()
    assert "Read-only file system" in log
    assert "No space left on device" in log
    assert "Traceback" not in log
