"""A process that cannot work says why and stops; one that can keep serving does."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from infra.local.broker import free_port
from tests.kafka_helpers import CLI

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


@pytest.mark.parametrize(
    "command", [["relay", "--once"], ["project"], ["publish-feed", "--once"], ["seed"]]
)
def test_an_unreachable_database_at_start_up_is_refused_clearly(command: list[str]) -> None:
    result = run(
        *command, DATABASE_URL=f"postgresql://reg:s3cret@127.0.0.1:{free_port()}/registry",
        KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}",
    )  # fmt: skip

    assert result.returncode == 5
    assert "cannot be reached" in result.stderr
    assert "s3cret" not in result.stderr + result.stdout


def test_an_unreachable_broker_stops_the_projection_runner_clearly(postgres_url: str) -> None:
    result = run(
        "project", DATABASE_URL=postgres_url, KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}"
    )

    assert result.returncode == 5
    assert "Kafka cannot be reached" in result.stderr
