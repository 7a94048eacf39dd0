"""Long outages under `up` while decisions keep coming: the stack heals itself and says so.

The whole stack runs against its own broker and a feed folder on a small
disk of its own while a client records decisions over HTTP and another
polls /readyz. Three gaps follow: PostgreSQL connections terminated every
second for ten seconds, the broker gone for two minutes (it comes back
empty), and the feed folder read-only for fifteen seconds. No part may
exit, the API must answer every write (a write whose own connection is
terminated under it is answered 503 and leaves no trace), /readyz must say
"not ready" during each gap and "ready" after it, and at the end nothing
accepted is lost or duplicated.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from infra.local.broker import LocalBroker, free_port
from tests.conftest import secrets_in_logs
from tests.fault.stack_checks import (
    Ledger,
    children,
    cli,
    converge_and_check,
    ready,
    send_commands,
)
from tests.kafka_helpers import wait_for
from tests.os_faults import remount, small_disk, terminate_connections

# It harms only its own stack (its own broker, disk and connections), so it
# runs beside the other tests rather than alone like the chaos test.
pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("outages")]

BROKER_OUTAGE_SECONDS = float(os.environ.get("OUTAGE_BROKER_SECONDS", "120"))
APPLICATION = "outage-stack"


@dataclass
class Probe:
    """Every /readyz answer, with when it came."""

    answers: list[tuple[float, int, list[str]]] = field(default_factory=list)

    def run(self, url: str, stop: threading.Event) -> None:
        with httpx.Client(base_url=url, timeout=5) as client:
            while not stop.wait(0.5):
                started = time.monotonic()
                try:
                    answer = client.get("/readyz")
                except httpx.HTTPError as error:
                    self.answers.append((started, 0, [str(error)]))
                    continue
                self.answers.append((started, answer.status_code, answer.json()["reasons"]))

    def not_ready_between(self, start: float, end: float) -> list[str]:
        """The reasons given while not ready in this window (empty if always ready)."""
        return [
            r for t, s, reasons in self.answers if start <= t <= end and s != 200 for r in reasons
        ]

    def ready_again_after(self, moment: float) -> float:
        """Seconds from ``moment`` until /readyz answered 200 again."""
        for at, status, _ in self.answers:
            if at >= moment and status == 200:
                return at - moment
        raise AssertionError("never ready again")


@dataclass
class Gap:
    """One fault: when it began and ended, and what /readyz said."""

    name: str
    began: float
    ended: float


def timed(name: str, gaps: list[Gap], fault: Callable[[], None]) -> None:
    began = time.monotonic()
    fault()
    gaps.append(Gap(name, began, time.monotonic()))


def test_outages_of_the_database_broker_and_disk_are_healed_without_a_restart(
    chaos_env: dict[str, str], tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    port, probe, ledger, stop = free_port(), Probe(), Ledger(), threading.Event()
    gaps: list[Gap] = []
    url = f"http://127.0.0.1:{port}"
    with LocalBroker(port=free_port()) as broker, small_disk(tmp_path / "feeds", "16m") as feeds:
        env = chaos_env | {
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers, "FEED_DIR": str(feeds),
            "PGAPPNAME": APPLICATION, "READY_MAX_AGE_SECONDS": "5",
        }  # fmt: skip
        token = json.loads(
            cli(
                env, "token", "create", "--actor", "outage.officer", "--role", "officer", "--json"
            ).stdout
        )["token"]
        up = subprocess.Popen(
            [sys.executable, "-m", "registry", "up", "--port", str(port), "--log-dir", str(tmp_path / "log")],
            env={**os.environ, **env}, stdout=(tmp_path / "up.out").open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_for(lambda: ready(url), timeout=90)
            parts_before = children(up.pid)
            threads = [
                threading.Thread(target=send_commands, args=(url, token, ledger, stop, 0.1)),
                threading.Thread(target=probe.run, args=(url, stop)),
            ]
            for thread in threads:
                thread.start()
            time.sleep(5)
            timed("database connections terminated", gaps, lambda: _terminate_for(10, env))
            wait_for(lambda: ready(url), timeout=120)
            timed("broker down", gaps, lambda: _broker_down(broker))
            wait_for(lambda: ready(url), timeout=180)
            timed("feed folder read-only", gaps, lambda: _read_only(feeds, 15))
            wait_for(lambda: ready(url), timeout=120)
            time.sleep(3)
            stop.set()
            for thread in threads:
                thread.join(60)
            parts_after = children(up.pid)
            counts = converge_and_check(env, url, ledger)
        finally:
            stop.set()
            up.send_signal(signal.SIGINT)
            up.wait(60)
    record_property("fault report", _report(gaps, probe, ledger, counts))
    assert parts_after == parts_before, (parts_before, parts_after)
    assert counts["lost"] == counts["duplicated"] == 0
    assert not ledger.unanswered(), ledger.unanswered()[:5]
    unavailable = [o for o in ledger.outcomes if o.status == 503]
    failed = [o for o in ledger.outcomes if o.status is None or o.status > 503 or o.status == 500]
    assert not failed, failed[:5]
    assert len(unavailable) <= len(ledger.outcomes) // 50, unavailable
    assert len(ledger.accepted()) > 500
    for gap in gaps:
        assert probe.not_ready_between(gap.began, gap.ended + 2), gap.name
        assert probe.ready_again_after(gap.ended) < 120, gap.name
    assert not secrets_in_logs(tmp_path, [token])


def _terminate_for(seconds: int, env: dict[str, str]) -> None:
    url = env["DATABASE_URL"].split("?")[0]
    killed = 0
    for _ in range(seconds):
        killed += terminate_connections(url, APPLICATION)
        time.sleep(1)
    assert killed >= seconds


def _broker_down(broker: LocalBroker) -> None:
    broker.stop()
    time.sleep(BROKER_OUTAGE_SECONDS)
    broker.start()


def _read_only(feeds: Path, seconds: float) -> None:
    remount(feeds, "ro")
    time.sleep(seconds)
    remount(feeds, "rw")


def _report(gaps: list[Gap], probe: Probe, ledger: Ledger, counts: dict[str, int]) -> str:
    """The gaps' readiness timings and the ledger, printed and returned."""
    lines = []
    for gap in gaps:
        reasons = probe.not_ready_between(gap.began, gap.ended + 2)
        first = next(
            (t - gap.began for t, s, _ in probe.answers if t >= gap.began and s != 200), None
        )
        lines.append(
            f"outages: {gap.name}: {gap.ended - gap.began:.0f} s; not ready after "
            f"{'never' if first is None else f'{first:.1f} s'} "
            f"({reasons[0][:120] if reasons else 'no reason'}); ready again "
            f"{probe.ready_again_after(gap.ended):.1f} s after it ended"
        )
    lines.append(
        f"outages: accepted={len(ledger.accepted())} refused={len(ledger.refused())} "
        f"unanswered={len(ledger.unanswered())} lost={counts['lost']} "
        f"duplicated={counts['duplicated']}"
    )
    text = "\n".join(lines)
    print(f"\n{text}")
    return text
