"""Writes: decision cycles through the registry against the raw event-sourcing library.

A cycle is register, evaluate, warn, terminate (four partner events; the
registration also records a name claim). The baseline is a bare
``eventsourcing`` application saving an aggregate's events of the same
size, one by one, on the same PostgreSQL. The HTTP figure compares the
same cycles through the API with the in-process application, both with
four writers at once.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from statistics import median
from typing import Any, TypeVar
from uuid import uuid4

import orjson
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from pydantic import SecretStr

from infra.local.broker import free_port
from registry.config import Settings, persistence_env
from registry.domain.commands import EvaluatePartner, RegisterPartner, TerminatePartner, WarnPartner
from registry.domain.criteria import Criterion
from registry.service.application import PartnerRegistry
from tests.benchmarks.common import Result, Target, timed, wait_until_serving
from tests.builders import NEXT_MONTH, decision, findings, obligation, platform
from tests.conftest import open_registry

TODAY = date.today()
T = TypeVar("T")
WRITERS = 4  # officers writing at once, in both the HTTP and the in-process runs
SERVER_WORKERS = 2  # one per core
ROUNDS = 3  # HTTP and in-process runs taken in turn, the median of each: the machine drifts


class Note(Aggregate):
    """An aggregate whose events carry an opaque payload of a chosen size."""

    @event("Written")
    def __init__(self, payload: str) -> None:
        self.payload = payload

    @event("Amended")
    def amend(self, payload: str) -> None:
        self.payload = payload


class RawApplication(Application):  # type: ignore[type-arg]
    """The library with nothing of ours."""


def run(database_url: str, cycles: int) -> list[Result]:
    registry = open_registry(database_url)
    payload = "x" * average_event_size(registry)

    def ours() -> None:
        for _ in range(cycles):
            cycle(registry)

    raw = RawApplication(env=persistence_env(Settings(database_url=SecretStr(database_url))))

    def baseline() -> None:
        """The library's own command style (as in its examples): get, change, save."""
        for _ in range(cycles):
            note = Note(payload)
            raw.save(note)
            for _ in range(3):
                loaded: Note = raw.repository.get(note.id)
                loaded.amend(payload)
                raw.save(loaded)

    def write_only() -> None:
        for _ in range(cycles):
            note = Note(payload)
            raw.save(note)
            for _ in range(3):
                note.amend(payload)
                raw.save(note)

    events = cycles * 4
    ours_rate = events / timed(ours)
    base_rate = events / timed(baseline)
    write_only_rate = events / timed(write_only)
    http_rate, local_rate = through_http(database_url, registry, cycles)
    registry.close()
    raw.close()
    return [
        Result("writes: registry vs raw eventsourcing (PG)", ours_rate, base_rate, "events/s", Target(ratio=0.7),
               notes={"payload_bytes": len(payload), "cycles": cycles,
                      "raw_write_only_events_per_s": round(write_only_rate, 1),
                      "ratio_to_write_only": round(ours_rate / write_only_rate, 2)}),
        Result("writes: HTTP API vs in-process registry", http_rate, local_rate, "events/s", Target(ratio=0.5)),
    ]  # fmt: skip


def cycle(registry: PartnerRegistry) -> None:
    """Register, evaluate, warn, terminate one partner."""
    partner_id = registry.register(RegisterPartner(platform(), decision())).partner_id
    registry.evaluate(EvaluatePartner(partner_id, findings(), [obligation()], decision()))
    registry.warn(
        WarnPartner(partner_id, decision(), deadline=NEXT_MONTH, criterion=Criterion.TECHNOLOGY)
    )
    registry.terminate(TerminatePartner(partner_id, decision()))


def average_event_size(registry: PartnerRegistry) -> int:
    """The mean stored size of a cycle's events, to size the baseline's payload."""
    cycle(registry)
    rows = registry.recorder.select_notifications(None, 100)
    return sum(len(r.state) for r in rows) // len(rows)


def through_http(database_url: str, registry: PartnerRegistry, cycles: int) -> tuple[float, float]:
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "warning"}
    token = json.loads(subprocess.run(
        [sys.executable, "-m", "registry", "token", "create", "--actor", "bench", "--role", "director", "--json"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout)["token"]  # fmt: skip
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "registry", "serve", "--port", str(port),
                               "--workers", str(SERVER_WORKERS)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url)
        clients = [Writer(port, token) for _ in range(WRITERS)]
        http_seconds, local_seconds = [], []
        for _ in range(ROUNDS):
            http_seconds.append(timed(lambda: in_parallel(http_cycle, clients, cycles)))
            local_seconds.append(timed(lambda: in_parallel(cycle, [registry] * WRITERS, cycles)))
        for client in clients:
            client.close()
    finally:
        server.terminate()
        server.wait(15)
    done = cycles // WRITERS * WRITERS * 4
    return done / median(http_seconds), done / median(local_seconds)


def in_parallel(action: Callable[[T], None], subjects: list[T], times: int) -> None:
    """Run the action ``times`` times in all, spread over one thread per subject."""
    share = times // len(subjects)

    def repeat(subject: T) -> None:
        for _ in range(share):
            action(subject)

    with ThreadPoolExecutor(len(subjects)) as pool:
        list(pool.map(repeat, subjects))


class Writer:
    """A keep-alive client on the standard library's ``http.client``.

    The load generator shares the two cores with the server and PostgreSQL,
    so it should cost as little as it can: httpx spends several times more
    CPU per request, which would be counted against the API.
    """

    def __init__(self, port: int, token: str) -> None:
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self._headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST on the kept-alive connection; once more on a new one if the server had closed
        it while it stood idle (uvicorn does after five seconds, as during an in-process round)."""
        try:
            return self._post(path, body)
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            self._connection.close()
            return self._post(path, body)

    def _post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self._connection.request("POST", path, body=orjson.dumps(body), headers=self._headers)
        response = self._connection.getresponse()
        return response.status, orjson.loads(response.read())

    def close(self) -> None:
        self._connection.close()


def http_cycle(client: Writer) -> None:
    body = {
        "name": f"Bench {uuid4().hex[:12]}", "legal_form": "private_company", "national_coverage": True,
        "technology_ready": True, "open_marketplace": True, "reason": "Agreement signed",
    }  # fmt: skip
    status, registered = client.post("/partners", body)
    assert status == 201, registered
    partner_id = registered["partner_id"]
    criteria = {c.value: {"verdict": "pass", "finding": "checked"} for c in Criterion}
    for path, payload in (
        ("evaluations", {"criteria": criteria, "obligations": [], "reason": "Review"}),
        (
            "warnings",
            {
                "criterion": "technology",
                "deadline": str(TODAY + timedelta(days=30)),
                "reason": "Late",
            },
        ),
        ("termination", {"reason": "Ended"}),
    ):
        status, answer = client.post(f"/partners/{partner_id}/{path}", payload)
        assert status == 201, answer
