"""`up`'s supervisor: a part that keeps failing is restarted for as long as it takes."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from consumers.parts.resilience import Backoff
from infra.local.broker import free_port
from infra.local.stack import LocalStack, Part


def test_a_part_that_keeps_failing_is_restarted_with_growing_delays_and_the_server_stays_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'store.sqlite3'}")
    monkeypatch.setenv("FEED_DIR", str(tmp_path / "feeds"))
    port = free_port()
    stack = LocalStack("127.0.0.1", port, tmp_path / "log", kafka="127.0.0.1:1")
    failing = Part("failing", ["no-such-command"], backoff=Backoff(0.05, 0.4, rng=lambda: 1.0))
    server = Part("serve", ["serve", "--port", str(port)])
    stack._parts = [failing, server]
    stop = threading.Event()
    stack.start()
    first_server = server.process.pid if server.process else None
    supervisor = threading.Thread(target=stack.supervise, args=(stop, 0.05))
    supervisor.start()
    try:
        deadline = time.monotonic() + 60
        while failing.restarts <= 6 and time.monotonic() < deadline:
            time.sleep(0.2)
        delays_then = failing.backoff.failures
    finally:
        stop.set()
        supervisor.join(10)
        alive = server.process is not None and server.process.poll() is None
        same_server = server.process is not None and server.process.pid == first_server
        stack.stop()

    assert failing.restarts > 6
    assert delays_then >= failing.restarts
    assert alive
    assert same_server


def test_every_part_is_told_the_servers_real_public_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    stack = LocalStack("127.0.0.1", 8321, tmp_path, kafka="127.0.0.1:1")

    told = stack.environment()
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://mitra.prakerja.example")
    behind_a_proxy = stack.environment()

    assert told["PUBLIC_BASE_URL"] == "http://127.0.0.1:8321"
    assert behind_a_proxy["PUBLIC_BASE_URL"] == "https://mitra.prakerja.example"
