"""One point of a cost curve, measured in a process of its own: ``python -m
tests.benchmarks.curve_point STAGE '{"argument": ...}'``.

It prints one JSON line: how many items the stage handled, in how many
seconds, and the process's peak resident memory (its own high-water mark,
so that what the parent process holds is not counted). The parent
(``tests.benchmarks.curves``) prepares the database and the broker.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from statistics import median
from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr

from consumers.parts.wakeups import PollingBackoff
from consumers.read_side.feed_publisher import FeedPublisher
from registry.api.app import create_app
from registry.bootstrap import build_read_models, build_relay
from registry.config import Settings
from registry.logs import configure_logging
from tests.benchmarks import bench_pipeline, bench_writes
from tests.benchmarks.common import timed
from tests.conftest import open_registry

Point = tuple[int, float]


def writes(args: dict[str, Any]) -> Point:
    """Partner events written through the registry into a store that already holds many."""
    registry = open_registry(args["database_url"])
    cycles = args["cycles"]

    def write() -> None:
        for _ in range(cycles):
            bench_writes.cycle(registry)

    seconds = timed(write)
    registry.close()
    return cycles * 4, seconds


def relay(args: dict[str, Any]) -> Point:
    """Every stored event (and each changed partner's state) published to Kafka."""
    registry = open_registry(args["database_url"])
    settings = _settings(args)
    publisher = build_relay(settings, registry)
    started = time.perf_counter()
    events = publisher.drain()
    seconds = time.perf_counter() - started
    publisher.close()
    registry.close()
    return events, seconds


def projections(args: dict[str, Any]) -> Point:
    """The events topic applied to the read models, from the runner's joining its group."""
    seconds, per_second = bench_pipeline.project(_settings(args), args["events"])
    return round(per_second * seconds), seconds


def feed(args: dict[str, Any]) -> Point:
    """The feeds published again after one partner changed, change after change."""
    from tests.benchmarks.curves import changes  # noqa: PLC0415 - the parent's builders

    settings = Settings(database_url=SecretStr(args["database_url"]))
    store = build_read_models(settings)
    publisher = FeedPublisher(store, Path(args["folder"]), "http://bench", PollingBackoff(),
                              date.today)  # fmt: skip
    publisher.publish()
    each = []
    for event in changes(args["database_url"], args["changes"]):
        store.apply([event], {}, store.generation())
        each.append(timed(publisher.publish))
    store.close()
    return 1, median(each)


def search(args: dict[str, Any]) -> Point:
    """``GET /partners?q=`` for the number in one name among many, each a different one.

    The number, not the whole name: every synthetic name starts with the
    same word, and a word in every name makes the trigram index read its
    posting list of every row (``docs/benchmarks.md``).
    """
    settings = Settings(database_url=SecretStr(args["database_url"]))
    with TestClient(create_app(settings)) as client:
        client.get("/partners", params={"q": "000001"})
        each = []
        for number in range(1, args["queries"] + 1):
            query = f"{number * 7919 % args['partners'] + 1:06d}"
            started = time.perf_counter()
            found = client.get("/partners", params={"q": query})
            each.append(time.perf_counter() - started)
            if found.status_code != 200 or not found.json()["items"]:
                raise RuntimeError(f"{query!r} found nothing: {found.text[:200]}")
    return 1, median(each)


def _settings(args: dict[str, Any]) -> Settings:
    return bench_pipeline.settings_for(args["database_url"], args["bootstrap"], args["key"])


STAGES: dict[str, Callable[[dict[str, Any]], Point]] = {
    "writes": writes,
    "relay": relay,
    "projections": projections,
    "feed": feed,
    "search": search,
}


def main() -> None:
    configure_logging("console", "warning")
    stage, args = sys.argv[1], json.loads(sys.argv[2])
    items, seconds = STAGES[stage](args)
    print(json.dumps({"items": items, "seconds": seconds, "peak_mib": _high_water_mark() / 1024}))


def _high_water_mark() -> int:
    """This process's peak resident memory in KiB (VmHWM: the rusage figure of a child of a
    large process counts the pages it shared with its parent before it executed)."""
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


if __name__ == "__main__":
    main()
