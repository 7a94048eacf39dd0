"""A process that cannot work says why and stops; one that can keep serving does."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from infra.local.broker import LocalBroker, free_port
from tests.conftest import open_registry
from tests.histories import more_events
from tests.kafka_helpers import (
    CLI,
    ServiceProcess,
    relay_settings,
    running_relay,
    service_env,
    wait_for,
)

pytestmark = pytest.mark.postgres


def run(*args: str, timeout: float = 90, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env}
    return subprocess.run(
        [str(CLI), *args], env=full, capture_output=True, text=True, check=False, timeout=timeout
    )


def test_a_corrupted_signing_key_stops_the_relay_with_a_clear_message(
    postgres_url: str, tmp_path: Path
) -> None:
    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\nnot really a key\n-----END PRIVATE KEY-----\n")

    result = run(
        "relay", DATABASE_URL=postgres_url, KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}",
        SIGNING_KEY_FILE=str(key),
    )  # fmt: skip

    assert result.returncode == 2
    assert "is not a PEM Ed25519 private key" in result.stderr
    assert "not really a key" not in result.stderr + result.stdout


@pytest.mark.parametrize("command", [["relay", "--once"], ["publish-feed", "--once"], ["seed"]])
def test_a_one_off_command_with_an_unreachable_database_is_refused_clearly(
    command: list[str],
) -> None:
    result = run(
        *command, DATABASE_URL=f"postgresql://reg:s3cret@127.0.0.1:{free_port()}/registry",
        KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}",
    )  # fmt: skip

    assert result.returncode == 5
    assert "cannot be reached" in result.stderr
    assert "s3cret" not in result.stderr + result.stdout


@pytest.mark.parametrize("part", ["relay", "project", "publish-feed"])
def test_a_long_running_part_waits_for_an_unreachable_database_and_says_so(
    part: str, tmp_path: Path
) -> None:
    log = tmp_path / "part.log"
    process = ServiceProcess(
        [part], log, {"DATABASE_URL": f"postgresql://reg:s3cret@127.0.0.1:{free_port()}/registry",
                      "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}"},
    )  # fmt: skip

    wait_for(lambda: process.logged(f"{part} start-up: waiting out a fault"), timeout=30)
    still_running = process.process.poll() is None
    status = process.stop()

    assert still_running
    assert status == 0
    assert "s3cret" not in log.read_text()
    assert "Traceback" not in log.read_text()


def test_a_projection_runner_started_before_its_broker_begins_when_the_broker_comes(
    postgres_url: str, tmp_path: Path
) -> None:
    writer = open_registry(postgres_url)
    more_events(writer, 3)
    writer.close()
    settings = relay_settings(postgres_url, f"127.0.0.1:{free_port()}")
    port = int(settings.require_kafka().rsplit(":", 1)[1])
    runner = ServiceProcess(["project"], tmp_path / "project.log", service_env(settings))
    wait_for(lambda: runner.logged("projection: waiting out a fault"), timeout=30)

    with LocalBroker(port=port), running_relay(settings):
        wait_for(lambda: runner.logged("applied"), timeout=60)
        alive = runner.process.poll() is None

    assert alive
    assert runner.stop() == 0


def test_a_part_a_test_left_running_is_killed_when_the_test_ends(tmp_path: Path) -> None:
    # given a part started by a test that failed before stopping it (it waits for a database)
    ServiceProcess.kill_leftovers()
    part = ServiceProcess(
        ["project"], tmp_path / "part.log",
        {"DATABASE_URL": f"postgresql://reg@127.0.0.1:{free_port()}/registry",
         "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}"},
    )  # fmt: skip

    # when the tests' clean-up runs
    killed = ServiceProcess.kill_leftovers()

    # then the part is no longer running
    assert killed == 1
    assert part.process.poll() is not None
