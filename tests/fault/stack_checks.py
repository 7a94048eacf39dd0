"""What the fault tests share: a client recording every command, and the final checks.

Every accepted command must end up in the store, on the topic, in both read
models exactly once and in the feed; the chain and the checkpoints must
verify; a command refused with an error status must have left no trace.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from projections.storage.store import ReadModelStore
from registry.bootstrap import build_read_models
from registry.config import Settings
from registry.service.application import PartnerRegistry
from tests.conftest import open_registry
from tests.e2e.helpers import registration, warning
from tests.feed_helpers import published_head, published_json
from tests.histories import stored_records
from tests.kafka_helpers import wait_for


@dataclass
class Outcome:
    """What the client asked for and what it was told."""

    kind: str
    name: str
    reason: str
    partner_id: str | None
    status: int | None
    version: int | None = None


@dataclass
class Ledger:
    """Every command sent, in order."""

    outcomes: list[Outcome] = field(default_factory=list)

    def accepted(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status is not None and 200 <= o.status < 300]

    def refused(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status is not None and o.status >= 400]

    def unanswered(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status is None]


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "registry", *args], env={**os.environ, **env},
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip


def children(pid: int) -> dict[str, int]:
    """The stack's parts by name (relay, project, publish-feed, serve)."""
    listing = subprocess.run(
        ["ps", "--ppid", str(pid), "-o", "pid=,args="], capture_output=True, text=True, check=False
    ).stdout
    parts = {}
    for line in listing.splitlines():
        child, _, args = line.strip().partition(" ")
        words = args.split()
        if "registry" in words:
            parts[words[words.index("registry") + 1]] = int(child)
    return parts


def send_commands(
    url: str, token: str, ledger: Ledger, stop: threading.Event, pause: float = 0.05
) -> None:
    """About twenty commands a second (by default): mostly registrations, some warnings."""
    chance = random.Random(7)
    with httpx.Client(
        base_url=url, timeout=10, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        while not stop.wait(pause):
            known = [o.partner_id for o in ledger.accepted() if o.kind == "register"]
            if known and chance.random() < 0.3:
                target, reason = chance.choice(known), f"breach {uuid.uuid4().hex}"
                outcome = Outcome("warn", "", reason, target, None)
                path, body = f"/partners/{target}/warnings", warning(reason=reason)
            else:
                name, reason = f"Chaos {uuid.uuid4().hex[:12]}", f"signed {uuid.uuid4().hex}"
                outcome = Outcome("register", name, reason, None, None)
                path, body = "/partners", registration(name=name, reason=reason)
            try:
                response = client.post(path, json=body)
            except httpx.HTTPError:
                ledger.outcomes.append(outcome)
                continue
            outcome.status = response.status_code
            if response.status_code == 201:
                outcome.partner_id = response.json()["partner_id"]
                outcome.version = response.json()["version"]
            ledger.outcomes.append(outcome)


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def converge_and_check(env: dict[str, str], url: str, ledger: Ledger) -> dict[str, int]:
    """Wait until every part has caught up, then check every accepted and refused command."""
    settings = Settings(database_url=SecretStr(env["DATABASE_URL"]))
    registry = open_registry(env["DATABASE_URL"])
    store = build_read_models(settings)
    try:

        def total() -> int:
            return len(stored_records(registry))

        wait_for(lambda: store.chain_head().sequence == total(), timeout=180)
        folder = Path(env["FEED_DIR"])
        wait_for(lambda: published_head(folder) == total(), timeout=60)
        lost = _check_accepted(registry, store, ledger, published_json(folder))
        duplicated = _duplicates(store)
        _check_refused(registry, ledger)
        _check_public_record(env, url)
        recorded = sum(1 for o in ledger.unanswered() if _left_a_trace(registry, o))
    finally:
        store.close()
        registry.close()
    return {"lost": lost, "duplicated": duplicated, "unanswered_recorded": recorded}


def _check_accepted(
    registry: PartnerRegistry, store: ReadModelStore, ledger: Ledger, feed: dict[str, Any]
) -> int:
    lost = 0
    in_feed = {p["partner_id"] for p in feed["partners"]}
    for outcome in ledger.accepted():
        assert outcome.partner_id is not None
        history = registry.history(uuid.UUID(outcome.partner_id))
        recorded = [
            e for e in history if e["version"] == outcome.version and e["reason"] == outcome.reason
        ]
        entries = store.entries_of_version(outcome.partner_id, outcome.version or 0)
        row = store.partner(outcome.partner_id)
        fine = len(recorded) == 1 and len(entries) == 1 and entries[0].reason == outcome.reason
        fine = fine and row is not None and row.version == len(history)
        fine = fine and (outcome.kind != "register" or outcome.partner_id in in_feed)
        lost += 0 if fine else 1
    return lost


def _duplicates(store: ReadModelStore) -> int:
    with store.transaction() as tx:
        ((count, distinct),) = tx.execute(
            "SELECT count(*), count(DISTINCT partner_id || ':' || version) FROM rm_audit_trail"
        )
    return int(count) - int(distinct)


def _check_refused(registry: PartnerRegistry, ledger: Ledger) -> None:
    for outcome in ledger.refused():
        assert not _left_a_trace(registry, outcome), outcome


def _left_a_trace(registry: PartnerRegistry, outcome: Outcome) -> bool:
    if outcome.kind == "register":
        return registry.find_by_name(outcome.name) is not None
    history = registry.history(uuid.UUID(outcome.partner_id or ""))
    return any(e["reason"] == outcome.reason for e in history)


def _check_public_record(env: dict[str, str], url: str) -> None:
    replay = cli(env, "audit", "replay", "--allow-resent", "--json")
    found = json.loads(replay.stdout) if replay.stdout.startswith("{") else {}
    assert replay.returncode == 0, (
        found.get("counts"),
        found.get("findings"),
        replay.stderr[-2000:],
    )
    assert json.loads(replay.stdout)["checkpoints_verified"] >= 1
    assert cli(env, "check-trail").returncode == 0
    verified = cli(env, "audit", "verify", "--url", url)
    assert verified.returncode == 0, verified.stdout[-3000:]
