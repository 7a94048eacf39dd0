"""A backlog's batches signed ahead by the relay's helper process, exactly as the relay would."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator, MutableMapping
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from consumers.parts.wakeups import PollingBackoff
from consumers.relay.batches import Batches, BatchReader
from consumers.relay.positions_postgres import PostgresRelayPositions
from consumers.relay.relay import Relay
from consumers.relay.signing_ahead import SigningAhead
from consumers.relay.transparency_log import TransparencyLog, TreeSigner
from registry.adapters.log_store import LogStore
from registry.adapters.sqldb_sqlite import SqliteDatabase
from registry.bootstrap import open_tree_signer, relay_options, signing_key
from registry.config import Settings
from registry.record.chain import GENESIS
from registry.record.messages import Message
from registry.service.application import PartnerRegistry
from tests.conftest import open_registry
from tests.histories import more_events
from tests.kafka_helpers import RecordingOutbound as Outbound
from tests.kafka_helpers import relay_settings, wait_for

pytestmark = pytest.mark.postgres

BATCH = 5
EVENTS = 60


def no_signer() -> TreeSigner:
    """A helper that cannot open its signer (the key file is gone, say)."""
    raise FileNotFoundError("no signing key")


@pytest.fixture
def settings(postgres_url: str, tmp_path: Path) -> Settings:
    return relay_settings(
        postgres_url, "unused:9092", relay_batch_size=BATCH,
        signing_key_file=str(tmp_path / "key.pem"),
    )  # fmt: skip


@pytest.fixture
def registry(settings: Settings) -> Iterator[PartnerRegistry]:
    registry = open_registry(settings.database_url.get_secret_value())
    more_events(registry, EVENTS)
    yield registry
    registry.close()


def reader(registry: PartnerRegistry, settings: Settings, log_file: Path) -> BatchReader:
    store = LogStore(SqliteDatabase(str(log_file)))
    store.setup()
    log = TransparencyLog(store, signing_key(settings), settings.log_origin)
    return BatchReader(registry, log, BATCH)


def relay(
    registry: PartnerRegistry, settings: Settings, name: str, batches: Batches, out: Outbound
) -> Relay:
    positions = PostgresRelayPositions(settings.database_url.get_secret_value(), name, GENESIS)
    return Relay(
        registry, positions, PollingBackoff(), out, relay_options(settings), batches=batches
    )


def signed_inline(registry: PartnerRegistry, settings: Settings, tmp_path: Path) -> list[Message]:
    out = Outbound()
    inline = relay(registry, settings, "inline", reader(registry, settings, tmp_path / "i"), out)
    inline.drain()
    inline.close()
    return flat(out)


def flat(out: Outbound) -> list[Message]:
    return [message for batch in out.sent for _, message in batch]


def ready_ahead(registry: PartnerRegistry, settings: Settings, log_file: Path) -> SigningAhead:
    ahead = SigningAhead(reader(registry, settings, log_file), partial(open_tree_signer, settings))
    wait_for(ahead.helper_ready, timeout=60)
    return ahead


def helper_pids() -> list[int]:
    return [p.pid for p in multiprocessing.active_children() if p.name == "relay-signer" and p.pid]


def kill_helpers() -> None:
    for pid in helper_pids():
        os.kill(pid, signal.SIGKILL)


def drain(
    registry: PartnerRegistry, settings: Settings, ahead: SigningAhead, out: Outbound
) -> list[MutableMapping[str, Any]]:
    """Drain the backlog through ``ahead`` into ``out``; what was logged meanwhile."""
    published = relay(registry, settings, "ahead", ahead, out)
    with capture_logs() as logs:
        published.drain()
    published.close()
    return logs


def test_a_backlog_signed_ahead_publishes_the_records_the_relay_signs_itself(
    registry: PartnerRegistry, settings: Settings, tmp_path: Path
) -> None:
    expected = signed_inline(registry, settings, tmp_path)
    ahead = ready_ahead(registry, settings, tmp_path / "a")
    out = Outbound()

    drain(registry, settings, ahead, out)

    assert flat(out) == expected
    assert len(expected) > EVENTS
    assert ahead.signed_ahead == EVENTS // BATCH - 1
    assert helper_pids() == []


def test_a_helper_killed_mid_backlog_costs_nothing_but_time(
    registry: PartnerRegistry, settings: Settings, tmp_path: Path
) -> None:
    expected = signed_inline(registry, settings, tmp_path)
    ahead = ready_ahead(registry, settings, tmp_path / "a")
    out = Outbound(before_send=lambda: kill_helpers() if len(out.sent) == 2 else None)

    logs = drain(registry, settings, ahead, out)

    assert flat(out) == expected
    assert 0 < ahead.signed_ahead < EVENTS // BATCH - 1
    noticed = {
        "signing ahead failed; signing the batch here",
        "the signing helper is gone; signing here",
    }
    assert any(e["event"] in noticed for e in logs)


def test_a_helper_that_died_while_idle_leaves_the_relay_signing_itself(
    registry: PartnerRegistry, settings: Settings, tmp_path: Path
) -> None:
    expected = signed_inline(registry, settings, tmp_path)
    ahead = ready_ahead(registry, settings, tmp_path / "a")
    kill_helpers()
    wait_for(lambda: helper_pids() == [])
    out = Outbound()

    logs = drain(registry, settings, ahead, out)

    assert flat(out) == expected
    assert ahead.signed_ahead == 0
    assert any(e["event"].startswith("the signing helper is gone") for e in logs)


def test_a_failed_send_mid_backlog_drops_what_was_signed_ahead(
    registry: PartnerRegistry, settings: Settings, tmp_path: Path
) -> None:
    expected = signed_inline(registry, settings, tmp_path)
    ahead = ready_ahead(registry, settings, tmp_path / "a")
    out = Outbound(fail_at=3)
    published = relay(registry, settings, "ahead", ahead, out)

    stop = threading.Event()
    running = threading.Thread(target=published.run, args=(stop,))
    with capture_logs() as logs:
        running.start()
        try:
            wait_for(lambda: len(flat(out)) >= len(expected))
        finally:
            stop.set()
            running.join(10)

    assert flat(out) == expected
    assert any(e["event"] == "broker unavailable; retrying" for e in logs)
    assert ahead.signed_ahead == EVENTS // BATCH - 1


def test_a_helper_that_cannot_start_leaves_the_relay_signing_itself(
    registry: PartnerRegistry, settings: Settings, tmp_path: Path
) -> None:
    expected = signed_inline(registry, settings, tmp_path)
    ahead = SigningAhead(reader(registry, settings, tmp_path / "a"), no_signer)
    with capture_logs() as logs:
        wait_for(lambda: not ahead.helper_ready() and any("error" in e for e in logs), 60)
    out = Outbound()

    drain(registry, settings, ahead, out)

    assert flat(out) == expected
    assert ahead.signed_ahead == 0
    assert any("no signing key" in str(e.get("error")) for e in logs)
