"""One signing identity: every relay signs with the one key, and rotations are announced."""

from __future__ import annotations

import json
import os
import subprocess
from functools import partial
from pathlib import Path

import pytest

from consumers.audit.reader import read_checkpoints
from consumers.messaging.broker import new_reader
from infra.local.broker import LocalBroker
from infra.topics import CHECKPOINTS, declared_topics
from registry.config import Settings
from registry.service.application import PartnerRegistry
from tests.conftest import open_registry
from tests.histories import more_events
from tests.kafka_helpers import (
    CLI,
    ServiceProcess,
    relay_settings,
    service_env,
    steady_writes,
    wait_for,
)

pytestmark = pytest.mark.postgres


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), *args], env={**os.environ, **env}, capture_output=True, text=True,
        check=False, timeout=120,
    )  # fmt: skip


@pytest.fixture
def pg_writer(postgres_url: str) -> PartnerRegistry:
    registry = open_registry(postgres_url)
    more_events(registry, 5)
    return registry


def production(settings: Settings, key: Path, **extra: str) -> dict[str, str]:
    return service_env(
        settings, REGISTRY_ENVIRONMENT="production", SIGNING_KEY_FILE=str(key),
        CHECKPOINT_INTERVAL_SECONDS="0.5", **extra,
    )  # fmt: skip


def created_key(env: dict[str, str], path: Path) -> Path:
    made = cli(env, "keys", "create", "--file", str(path))
    assert made.returncode == 0, made.stderr
    public = path.with_suffix(".pub")
    public.write_text(
        json.loads(cli(env, "keys", "public", "--file", str(path), "--json").stdout)["public_key"]
    )
    return public


def signed_key_ids(settings: Settings) -> list[str]:
    topic = declared_topics(settings.kafka_topic_prefix)[CHECKPOINTS].name
    return [c.key_id for c in read_checkpoints(partial(new_reader, settings), topic).checkpoints]


def test_two_relays_sign_with_the_one_key_and_every_checkpoint_verifies_with_it(
    postgres_url: str, broker: LocalBroker, pg_writer: PartnerRegistry, tmp_path: Path
) -> None:
    settings = relay_settings(postgres_url, broker.bootstrap_servers)
    env = production(settings, tmp_path / "signing.pem")
    public = created_key(env, tmp_path / "signing.pem")
    relays = [ServiceProcess(["relay"], tmp_path / f"relay-{n}.log", env) for n in (1, 2)]

    with steady_writes(postgres_url, pause=0.1):
        wait_for(lambda: any(r.logged("checkpoint signed") for r in relays), timeout=60)
        leader = next(r for r in relays if r.logged("checkpoint signed"))
        standby = next(r for r in relays if r is not leader)
        leader.kill()
        wait_for(partial(standby.logged, "checkpoint signed"), timeout=60)
    standby.stop()
    replay = cli(env, "audit", "replay", "--public-key", str(public), "--allow-resent", "--json")

    assert len(set(signed_key_ids(settings))) == 1
    assert replay.returncode == 0, replay.stdout[-2000:] + replay.stderr[-2000:]
    assert json.loads(replay.stdout)["checkpoints_verified"] >= 2


def test_a_relay_without_its_key_in_production_refuses_to_start_and_says_how_to_make_one(
    postgres_url: str, broker: LocalBroker, pg_writer: PartnerRegistry, tmp_path: Path
) -> None:
    settings = relay_settings(postgres_url, broker.bootstrap_servers)

    result = cli(production(settings, tmp_path / "missing.pem"), "relay")

    assert result.returncode == 2
    assert "no signing key at" in result.stderr
    assert "partner-registry keys create" in result.stderr
    assert not (tmp_path / "missing.pem").exists()


def test_a_relay_with_a_key_nobody_announced_refuses_to_sign(
    postgres_url: str, broker: LocalBroker, pg_writer: PartnerRegistry, tmp_path: Path
) -> None:
    settings = relay_settings(postgres_url, broker.bootstrap_servers)
    first = production(settings, tmp_path / "first.pem")
    created_key(first, tmp_path / "first.pem")
    assert cli(first, "relay", "--once").returncode == 0
    assert cli(first, "checkpoint").returncode == 0
    other = production(settings, tmp_path / "other.pem")
    created_key(other, tmp_path / "other.pem")

    result = cli(other, "relay")

    assert result.returncode == 2
    assert "was never announced" in result.stderr


def test_a_rotated_key_is_announced_first_and_audit_replay_follows_it(
    postgres_url: str, broker: LocalBroker, pg_writer: PartnerRegistry, tmp_path: Path
) -> None:
    settings = relay_settings(postgres_url, broker.bootstrap_servers)
    old = production(settings, tmp_path / "old.pem")
    pinned = created_key(old, tmp_path / "old.pem")
    assert cli(old, "relay", "--once").returncode == 0
    assert cli(old, "checkpoint").returncode == 0
    new = production(settings, tmp_path / "new.pem")
    created_key(new, tmp_path / "new.pem")

    announced = cli(old, "keys", "announce", "--new-key-file", str(tmp_path / "new.pem"))
    more_events(pg_writer, 3)
    assert cli(new, "relay", "--once").returncode == 0
    signed = cli(new, "checkpoint")
    replay = cli(old, "audit", "replay", "--public-key", str(pinned), "--allow-resent", "--json")

    assert announced.returncode == 0, announced.stderr
    assert signed.returncode == 0, signed.stderr
    assert len(set(signed_key_ids(settings))) == 2
    assert replay.returncode == 0, replay.stdout[-2000:]
    assert json.loads(replay.stdout)["checkpoints_verified"] == 2
