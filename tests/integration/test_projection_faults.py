"""The projection runner under faults: kills, a shared group, tampering, an empty broker."""

from __future__ import annotations

import json
import random
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from infra.local.broker import LocalBroker
from projections.storage.store import ReadModelStore
from registry.bootstrap import build_read_models
from registry.config import Settings
from registry.service.application import PartnerRegistry
from tests.histories import more_events, scripted_history, stored_records
from tests.kafka_helpers import (
    CLI,
    ServiceProcess,
    relay_settings,
    running_projection,
    running_relay,
    service_env,
    steady_writes,
    wait_for,
)
from tests.read_model_helpers import dump, expected_dump

pytestmark = pytest.mark.postgres


def settings_for(database_url: str, broker: LocalBroker, **overrides: object) -> Settings:
    return relay_settings(
        database_url, broker.bootstrap_servers, projection_stall_seconds=2, **overrides
    )


def chain_head(settings: Settings) -> int:
    store = build_read_models(settings)
    try:
        return store.chain_head().sequence
    finally:
        store.close()


def projector(settings: Settings, log: Path, **env: str) -> ServiceProcess:
    return ServiceProcess(["project"], log, service_env(settings, **env))


def test_runner_killed_at_random_moments_applies_every_event_exactly_once(
    postgres_url: str, broker: LocalBroker, pg_writer: PartnerRegistry, tmp_path: Path
) -> None:
    settings = settings_for(postgres_url, broker)
    scripted_history(pg_writer, partners=20)
    more_events(pg_writer, 400)
    chance = random.Random(4)
    kills = 0

    with running_relay(settings):
        with steady_writes(postgres_url):
            for round_number in range(5):
                runner = projector(
                    settings,
                    tmp_path / f"project-{round_number}.log",
                    PROJECTION_INSTANCE_ID="runner-1",
                )
                # The group forms again within its rebalance timeout (the consumer's
                # max_poll_interval, 60 s); a clean-clone run once saw Tansu take over 30 s.
                wait_for(partial(runner.logged, "partitions assigned"), timeout=90)
                time.sleep(chance.uniform(0.2, 1.0))
                runner.kill()
                kills += 1
        # The relay keeps running: the last writes must reach the topic too.
        with running_projection(settings) as store:
            total = len(stored_records(pg_writer))
            wait_for(lambda: store.chain_head().sequence == total, timeout=60)
            final = dump(store)

    assert kills == 5
    assert final == expected_dump(pg_writer, tmp_path)


def test_two_runners_in_one_group_share_the_partitions_and_apply_everything_once(
    postgres_url: str, broker: LocalBroker, pg_writer: PartnerRegistry, tmp_path: Path
) -> None:
    settings = settings_for(postgres_url, broker)
    first = projector(settings, tmp_path / "first.log")
    second = projector(settings, tmp_path / "second.log")
    wait_for(lambda: split_between(shares(first), shares(second)), 60)

    with running_relay(settings):
        scripted_history(pg_writer, partners=30)
        wait_for(lambda: chain_head(settings) == len(stored_records(pg_writer)), timeout=60)
    first.stop()
    second.stop()

    applied = [applied_count(first), applied_count(second)]
    assert all(count > 0 for count in applied)
    assert sum(applied) == len(stored_records(pg_writer))
    store = build_read_models(settings)
    assert dump(store) == expected_dump(pg_writer, tmp_path)
    store.close()


def split_between(first: set[int], second: set[int]) -> bool:
    """Both runners hold partitions, and none is held by both."""
    return bool(first) and bool(second) and not first & second


def shares(runner: ServiceProcess) -> set[int]:
    """The partitions most recently assigned to a runner."""
    assigned = [line for line in log_lines(runner) if line.get("event") == "partitions assigned"]
    return set(assigned[-1]["partitions"]) if assigned else set()


def applied_count(runner: ServiceProcess) -> int:
    return sum(int(line["new"]) for line in log_lines(runner) if line.get("event") == "applied")


def log_lines(runner: ServiceProcess) -> list[dict[str, Any]]:
    lines = []
    for text in runner.log_path.read_text().splitlines():
        try:
            lines.append(json.loads(text))
        except json.JSONDecodeError:
            continue
    return lines


def test_a_removed_audit_row_is_found_by_the_trail_check(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry
) -> None:
    settings = settings_for(database_url, broker)
    scripted_history(writer)
    with running_relay(settings), running_projection(settings) as store:
        wait_for(lambda: store.chain_head().sequence == len(stored_records(writer)))
    intact = subprocess.run(
        [str(CLI), "check-trail"],
        env=service_env(settings),
        capture_output=True,
        text=True,
        check=False,
    )
    store = build_read_models(settings)
    with store.transaction() as tx:
        tx.execute("DELETE FROM rm_audit_trail WHERE sequence = ?", (4,))
    store.close()

    damaged = subprocess.run(
        [str(CLI), "check-trail"],
        env=service_env(settings),
        capture_output=True,
        text=True,
        check=False,
    )

    assert intact.returncode == 0
    assert "intact" in intact.stdout
    assert damaged.returncode == 6
    assert "sequence 4: missing" in damaged.stderr


def test_an_empty_restarted_broker_ends_with_complete_read_models(
    postgres_url: str, broker: LocalBroker, pg_writer: PartnerRegistry, tmp_path: Path
) -> None:
    settings = settings_for(postgres_url, broker)
    scripted_history(pg_writer, partners=10)
    with running_relay(settings), running_projection(settings) as store:
        wait_for(lambda: store.chain_head().sequence == len(stored_records(pg_writer)))

        broker.restart()
        more_events(pg_writer, 30)

        wait_for(lambda: store.chain_head().sequence == len(stored_records(pg_writer)), timeout=90)
        final = dump(store)
    assert final == expected_dump(pg_writer, tmp_path)


def test_a_rebuild_while_the_runner_runs_loses_nothing(
    postgres_url: str, broker: LocalBroker, pg_writer: PartnerRegistry, tmp_path: Path
) -> None:
    settings = settings_for(postgres_url, broker)
    scripted_history(pg_writer, partners=10)
    with running_relay(settings), running_projection(settings) as store:
        wait_for(lambda: store.chain_head().sequence == len(stored_records(pg_writer)))
        with steady_writes(postgres_url):
            rebuilt = subprocess.run(
                [str(CLI), "rebuild"], env=service_env(settings), capture_output=True,
                text=True, check=False,
            )  # fmt: skip
            time.sleep(0.5)

        wait_for(lambda: store.chain_head().sequence == len(stored_records(pg_writer)), timeout=60)
        final = dump(store)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert final == expected_dump(pg_writer, tmp_path)


@contextmanager
def caught_up(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry
) -> Iterator[tuple[Settings, ReadModelStore]]:
    """Twenty partners' history published by a relay and applied by a runner, both running."""
    settings = settings_for(database_url, broker)
    scripted_history(writer, partners=20)
    with running_relay(settings), running_projection(settings) as store:
        wait_for(lambda: store.chain_head().sequence == len(stored_records(writer)))
        yield settings, store


def test_projection_status_reports_offsets_lag_and_chain_head(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry
) -> None:
    with caught_up(database_url, broker, writer) as (settings, store):
        wait_for(lambda: all(p.end_offset is not None for p in store.consumer_status()), 20)

    result = subprocess.run(
        [str(CLI), "projection-status", "--json"], env=service_env(settings),
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    status = json.loads(result.stdout)
    assert status["chain_head"]["sequence"] == len(stored_records(writer))
    assert {p["partition"] for p in status["partitions"]} == {0, 1, 2}
    assert all(p["lag"] == 0 for p in status["partitions"])


def test_a_caught_up_runner_sees_the_true_end_of_partitions_whose_last_batch_held_many_records(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry
) -> None:
    # Given a history the relay sends as batches of many records per partition
    # (Tansu lists such a partition's end as its last batch's first offset + 1),
    # When the runner has applied it all and reported its lag again
    with caught_up(database_url, broker, writer) as (_, store):
        # Then every partition's end is where the runner stands: no lag, nothing re-read
        wait_for(lambda: all(p.end_offset == p.next_offset for p in store.consumer_status()), 20)
        assert all(p.lag == 0 for p in store.consumer_status())
