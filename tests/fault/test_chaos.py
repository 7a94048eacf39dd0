"""Chaos at steady load: whatever fails, no accepted decision is lost, duplicated or altered.

The whole stack runs (``partner-registry up`` against a broker and the
machine's PostgreSQL) while a client records decisions over HTTP. Parts are
killed with SIGKILL at random moments, the broker comes back empty and
PostgreSQL restarts once. At the end every accepted command must be in the
store, on the topic, in both read models exactly once and in the feed; the
chain and the checkpoints must verify; a command refused with an error
status must have left no trace. ``CHAOS_SECONDS`` makes it a longer soak.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

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

pytestmark = [pytest.mark.postgres, pytest.mark.chaos]

SECONDS = float(os.environ.get("CHAOS_SECONDS", "45"))


def restart_postgres() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True
    )


def inject_faults(up: subprocess.Popen[bytes], broker: LocalBroker) -> list[str]:
    """Kill parts, empty the broker, restart PostgreSQL once, at random moments."""
    chance = random.Random(11)
    faults = ["relay", "project", "serve", "broker", "postgres", "relay", "project", "serve"]
    chance.shuffle(faults)
    done = []
    deadline = time.monotonic() + SECONDS
    for number, fault in enumerate(faults * max(1, int(SECONDS // 45))):
        time.sleep(chance.uniform(2.0, max(2.5, SECONDS / len(faults))))
        if time.monotonic() > deadline:
            break
        if fault == "broker":
            broker.restart()
        elif fault == "postgres":
            if "postgres" in done:
                continue
            restart_postgres()
        else:
            pid = children(up.pid).get(fault)
            if pid is None:
                continue
            os.kill(pid, signal.SIGKILL)
        done.append(fault)
        print(f"fault {number + 1}: {fault}")
    return done


def test_no_accepted_decision_is_lost_duplicated_or_altered(
    chaos_env: dict[str, str], tmp_path: Path
) -> None:
    with LocalBroker(port=free_port()) as broker:
        env = chaos_env | {"KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers}
        token = json.loads(
            cli(
                env, "token", "create", "--actor", "chaos.officer", "--role", "officer", "--json"
            ).stdout
        )["token"]
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        up = subprocess.Popen(
            [sys.executable, "-m", "registry", "up", "--port", str(port), "--log-dir", str(tmp_path / "log")],
            env={**os.environ, **env}, stdout=(tmp_path / "up.out").open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        ledger, stop = Ledger(), threading.Event()
        try:
            wait_for(lambda: ready(url), timeout=90)
            load = threading.Thread(target=send_commands, args=(url, token, ledger, stop))
            load.start()
            faults = inject_faults(up, broker)
            time.sleep(3)
            stop.set()
            load.join(timeout=60)
            assert up.poll() is None, (tmp_path / "up.out").read_text()[-2000:]
            counts = converge_and_check(env, url, ledger)
        finally:
            stop.set()
            up.send_signal(signal.SIGINT)
            up.wait(60)
    print(
        f"\naccepted={len(ledger.accepted())} refused={len(ledger.refused())} "
        f"unanswered={len(ledger.unanswered())} (recorded anyway: {counts['unanswered_recorded']}) "
        f"faults={len(faults)} {faults} lost={counts['lost']} duplicated={counts['duplicated']}"
    )
    assert len(faults) >= 5
    assert counts["lost"] == counts["duplicated"] == 0
    assert len(ledger.accepted()) > 50
    assert not secrets_in_logs(tmp_path, [token]), secrets_in_logs(tmp_path, [token])
