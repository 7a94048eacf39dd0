"""End-to-end latency at a steady command rate, against the raw Kafka client's.

The whole stack runs as in production (``partner-registry up`` on
PostgreSQL and a broker): HTTP server, relay, projection runner and feed
publisher, each its own process. A load thread sends commands at a fixed
rate (a registration, then an evaluation of the partner registered one tick
earlier) and notes when each response arrived. Three watchers note when
each change is first seen: in ``GET /partners/{id}``, in the JSON feed
(polled with If-None-Match) and on the compacted partner-state topic.

The baseline is the raw kafka-python producer-to-consumer latency at the
same rate with the same client settings, measured in the same run.

The watchers look every LOOK_EVERY seconds, so a change is noted at most
that much after it became visible: the figures are upper bounds. How often
they asked is printed with the results: ``GET /partners/{id}`` waits for
its read model to hold the store's latest write (read-your-writes), so
nearly every first look already finds the change (2026-12-03: 49.8 looks
a second for 49.8 writes; the feed 21 to 64 conditional requests).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue

import httpx
import msgspec
import orjson
from kafka import TopicPartition
from kafka.admin import NewTopic

from consumers.messaging.broker import new_admin, new_producer, new_reader
from infra.local.broker import TANSU_FETCH_MAX_WAIT_MS, LocalBroker, free_port
from registry.config import Settings
from tests.benchmarks.common import Result, Target, percentile
from tests.e2e.helpers import evaluation, registration

Write = tuple[str, int, float]


class Sightings:
    """When each version of each partner was first seen on one channel.

    Seeing version 3 means versions 1 and 2 are visible too (superseded), so
    they are noted at the same moment if they were not seen before.
    """

    def __init__(self) -> None:
        self._first: dict[tuple[str, int], float] = {}
        self._latest: dict[str, int] = {}
        self._lock = threading.Lock()

    def saw(self, partner_id: str, version: int, at: float) -> None:
        with self._lock:
            latest = self._latest.get(partner_id, 0)
            for earlier in range(latest + 1, version + 1):
                self._first[(partner_id, earlier)] = at
            self._latest[partner_id] = max(latest, version)

    def first(self, partner_id: str, version: int) -> float | None:
        with self._lock:
            return self._first.get((partner_id, version))

    def all(self) -> dict[tuple[str, int], float]:
        """Every first sighting (to hand over from a watcher's own process)."""
        with self._lock:
            return dict(self._first)

    def take(self, first: dict[tuple[str, int], float]) -> None:
        """Take over the sightings of a watcher that ran in its own process."""
        with self._lock:
            self._first.update(first)


@dataclass
class Channels:
    """Every watcher's sightings, and what the load thread wrote."""

    read_model: Sightings = field(default_factory=Sightings)
    feed: Sightings = field(default_factory=Sightings)
    topic: Sightings = field(default_factory=Sightings)
    writes: list[Write] = field(default_factory=list)
    refused: int = 0
    cpu_busy: float = 0.0
    seconds: float = 1.0
    looks: Counter[str] = field(default_factory=Counter)
    """Requests the watchers sent, by channel."""


def cpu_times() -> tuple[int, int]:
    """The machine's busy and total CPU time so far, in ticks (from /proc/stat)."""
    with open("/proc/stat", encoding="ascii") as stat:
        ticks = [int(t) for t in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]
    return sum(ticks) - idle, sum(ticks)


def busy_since(before: tuple[int, int]) -> float:
    """The share of the machine's CPU time that was busy since ``before`` (every core)."""
    busy, total = cpu_times()
    return round((busy - before[0]) / max(total - before[1], 1), 3)


def run(database_url: str, folder: Path, seconds: float, rate: int = 50) -> list[Result]:
    with LocalBroker() as broker:
        settings = Settings(
            kafka_bootstrap_servers=broker.bootstrap_servers,
            kafka_fetch_max_wait_ms=TANSU_FETCH_MAX_WAIT_MS,
        )
        baseline = raw_latencies(settings, rate, min(seconds, 20.0))
        with running_stack(database_url, broker.bootstrap_servers, folder) as (url, token):
            channels, achieved = measure(url, token, settings, rate, seconds)
    return [
        _result(f"latency write -> {name}", channels, sightings, baseline, achieved)
        for name, sightings in (
            ("GET /partners/{id}", channels.read_model),
            ("JSON feed", channels.feed),
            ("compacted topic", channels.topic),
        )
    ]


def _result(
    name: str, channels: Channels, sightings: Sightings, baseline: list[float], achieved: float
) -> Result:
    seen = [
        max(0.0, at - responded) * 1000
        for partner_id, version, responded in channels.writes
        if (at := sightings.first(partner_id, version)) is not None
    ]
    return Result(
        name, percentile(seen, 0.99), percentile(baseline, 0.99), "ms p99", Target(below=100),
        higher_is_better=False,
        notes={
            "p50_ms": round(percentile(seen, 0.5), 1),
            "baseline_p50_ms": round(percentile(baseline, 0.5), 1),
            "writes": len(channels.writes), "never_seen": len(channels.writes) - len(seen),
            "refused": channels.refused, "commands_per_s": round(achieved, 1),
            "machine_cpu_busy": channels.cpu_busy,
            "watcher_requests_per_s": {
                channel: round(count / channels.seconds, 1)
                for channel, count in channels.looks.items()
            },
        },
    )  # fmt: skip


def measure(
    url: str, token: str, settings: Settings, rate: int, seconds: float
) -> tuple[Channels, float]:
    """Drive the load while the three watchers look; return what they saw and the rate."""
    channels, stop, written = Channels(), threading.Event(), Queue[Write]()
    reader = threading.Thread(target=watch_read_model, args=(url, written, channels, stop))
    remote = [RemoteWatcher("feed", url), RemoteWatcher("topic", settings)]
    reader.start()
    time.sleep(3)
    started, cpu_before = time.perf_counter(), cpu_times()
    load(url, token, rate, seconds, channels, written)
    channels.seconds = time.perf_counter() - started
    achieved = len(channels.writes) / channels.seconds
    channels.cpu_busy = busy_since(cpu_before)
    last = channels.writes[-1] if channels.writes else ("", 0, 0.0)
    for watcher in remote:
        watcher.last_write(last[0], last[1])
    _settle(channels.read_model, last[0], last[1], timeout=SETTLE_SECONDS)
    stop.set()
    reader.join(30)
    for watcher, sightings in zip(remote, (channels.feed, channels.topic), strict=True):
        watcher.hand_over(sightings, channels.looks)
    return channels, achieved


SETTLE_SECONDS = 15


def _settle(seen: Sightings, partner_id: str, version: int, timeout: float) -> None:
    """Wait until the last write has been seen, or the timeout."""
    deadline = time.monotonic() + timeout
    while seen.first(partner_id, version) is None and time.monotonic() < deadline:
        time.sleep(0.1)


class RemoteWatcher:
    """A watcher in a process of its own.

    In one interpreter with the load and the other watchers, the feed
    watcher's parsing of the whole feed (a megabyte, dozens of times a
    second) and the topic watcher's client held the lock everyone's clock
    readings waited on: the benchmark's own contention counted as latency.
    """

    def __init__(self, kind: str, target: object) -> None:
        context = multiprocessing.get_context("spawn")
        self._last: multiprocessing.Queue[tuple[str, int]] = context.Queue()
        self._found: multiprocessing.Queue[tuple[dict[tuple[str, int], float], Counter[str]]]
        self._found = context.Queue()
        self._process = context.Process(
            target=_watch_in_process, args=(kind, target, self._last, self._found), daemon=True
        )
        self._process.start()

    def last_write(self, partner_id: str, version: int) -> None:
        """The load is over: watch until this write is seen (or the settling time ends)."""
        self._last.put((partner_id, version))

    def hand_over(self, sightings: Sightings, looks: Counter[str]) -> None:
        """Take what the watcher saw and how often it asked."""
        first, asked = self._found.get(timeout=SETTLE_SECONDS + 60)
        sightings.take(first)
        looks.update(asked)
        self._process.join(30)


def _watch_in_process(
    kind: str, target: object, last: multiprocessing.Queue[tuple[str, int]],
    found: multiprocessing.Queue[tuple[dict[tuple[str, int], float], Counter[str]]],
) -> None:  # fmt: skip
    seen, looks, stop = Sightings(), Counter[str](), threading.Event()
    if kind == "feed":
        watcher = threading.Thread(target=watch_feed, args=(target, seen, looks, stop))
    else:
        watcher = threading.Thread(target=watch_topic, args=(target, seen, stop))
    watcher.start()
    partner_id, version = last.get()
    _settle(seen, partner_id, version, timeout=SETTLE_SECONDS)
    stop.set()
    watcher.join(30)
    found.put((seen.all(), looks))


LOAD_CLIENTS = 8  # each waits for its answers; together they hold the rate


def load(
    url: str, token: str, rate: int, seconds: float, channels: Channels, written: Queue[Write]
) -> None:
    """Open-loop load: ``rate`` commands a second from several clients, each on its own beat.

    One client waiting for each answer reached only 30 commands a second
    here; eight, each at an eighth of the rate, keep the schedule as long
    as an answer takes less than eight ticks.
    """
    lock = threading.Lock()
    clients = [
        threading.Thread(target=_client, args=(url, token, rate / LOAD_CLIENTS, seconds,
                                               index / rate, channels, written, lock))
        for index in range(LOAD_CLIENTS)
    ]  # fmt: skip
    for client in clients:
        client.start()
    for client in clients:
        client.join()


def _client(
    url: str, token: str, rate: float, seconds: float, offset: float, channels: Channels,
    written: Queue[Write], lock: threading.Lock,
) -> None:  # fmt: skip
    """One client's share of the load: a registration, then an evaluation of that partner."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
        tick, interval = time.perf_counter() + offset, 1.0 / rate
        end, previous = tick + seconds, None
        while tick < end:
            time.sleep(max(0.0, tick - time.perf_counter()))
            if previous is None:
                response = client.post("/partners", json=registration())
            else:
                response = client.post(f"/partners/{previous}/evaluations", json=evaluation())
            with lock:
                if response.status_code == 201:
                    recorded = response.json()
                    write = (recorded["partner_id"], recorded["version"], time.perf_counter())
                    channels.writes.append(write)
                    written.put(write)
                    previous = recorded["partner_id"] if previous is None else None
                else:
                    channels.refused += 1
            tick += interval


LOOK_EVERY = float(os.environ.get("BENCH_LOOK_EVERY", "0.005"))
READ_MODEL_WATCHERS = 8  # writes still to be seen, each polled by one watcher


def watch_read_model(
    url: str, written: Queue[Write], channels: Channels, stop: threading.Event
) -> None:
    """Poll ``GET /partners/{id}`` for every write until it is visible there.

    Several watchers share the writes: one polling every waiting partner
    in turn fell seconds behind at 50 writes a second.
    """
    watchers = [threading.Thread(target=_watch_writes, args=(url, written, channels, stop))
                for _ in range(READ_MODEL_WATCHERS)]  # fmt: skip
    for watcher in watchers:
        watcher.start()
    for watcher in watchers:
        watcher.join()


def _watch_writes(
    url: str, written: Queue[Write], channels: Channels, stop: threading.Event
) -> None:
    seen = channels.read_model
    with httpx.Client(base_url=url, timeout=10) as client:
        while not stop.is_set():
            try:
                partner_id, version, _ = written.get(timeout=0.1)
            except Empty:
                continue
            while not stop.is_set():
                response = client.get(f"/partners/{partner_id}")
                channels.looks["GET /partners/{id}"] += 1
                if response.status_code == 200 and response.json()["version"] >= version:
                    seen.saw(partner_id, response.json()["version"], time.perf_counter())
                    break
                time.sleep(LOOK_EVERY)


class Listed(msgspec.Struct):
    """A partner as the feed watcher reads it: the two fields it needs."""

    partner_id: str
    version: int


class Listing(msgspec.Struct):
    """The JSON feed as the feed watcher reads it: every partner, each field but two skipped."""

    partners: list[Listed]


LISTING = msgspec.json.Decoder(Listing)


def watch_feed(url: str, seen: Sightings, looks: Counter[str], stop: threading.Event) -> None:
    """Poll the JSON feed as a well-behaved client does: conditionally.

    Every new version of the feed is parsed whole, but into two fields of
    each partner (msgspec skips the rest without building them), and only
    the partners whose version differs from the last one's are noted.
    Building every partner's object of every version (1,500 and more,
    twenty versions a second) and noting each made this watcher a fifth of
    the machine's CPU, taken from the stack it measures; parsing the feed
    into plain objects alone was two thirds of what remained (15 ms a
    version at 1,500 partners, against 3 ms).
    """
    etag, versions = "", dict[str, int]()
    with httpx.Client(base_url=url, timeout=10) as client:
        while not stop.is_set():
            response = client.get("/feeds/current-partners.json", headers={"If-None-Match": etag})
            now = time.perf_counter()
            looks["JSON feed"] += 1
            if response.status_code == 200:
                etag = response.headers["etag"]
                listing = LISTING.decode(response.content)
                latest = {p.partner_id: p.version for p in listing.partners}
                for partner_id, version in latest.items() - versions.items():
                    seen.saw(partner_id, version, now)
                versions = latest
            time.sleep(LOOK_EVERY)


def watch_topic(settings: Settings, seen: Sightings, stop: threading.Event) -> None:
    """Read the compacted partner-state topic from its end, as a downstream service."""
    consumer = new_reader(settings)
    partitions = _partitions(consumer, "partner-state")
    consumer.assign(partitions)
    consumer.seek_to_end()
    while not stop.is_set():
        for records in consumer.poll(timeout_ms=200).values():
            now = time.perf_counter()
            for record in records:
                state = orjson.loads(record.value)
                seen.saw(state["partner_id"], state["version"], now)
    consumer.close()


def _partitions(consumer: object, topic: str) -> list[TopicPartition]:
    deadline = time.monotonic() + 30
    while (found := consumer.partitions_for_topic(topic)) is None:  # type: ignore[attr-defined]
        if time.monotonic() > deadline:
            raise RuntimeError(f"topic {topic} never appeared")
        time.sleep(0.2)
    return [TopicPartition(topic, p) for p in sorted(found)]


def raw_latencies(settings: Settings, rate: int, seconds: float) -> list[float]:
    """Milliseconds from the raw producer's send to the raw consumer's receipt."""
    admin = new_admin(settings)
    admin.create_topics([NewTopic("bench-latency", 3, 1)])
    admin.close()
    producer, consumer = new_producer(settings), new_reader(settings)
    consumer.assign(_partitions(consumer, "bench-latency"))
    consumer.seek_to_end()
    for partition in consumer.assignment():  # resolve the ends now, before the first send
        consumer.position(partition)
    sent: dict[int, float] = {}
    received: dict[int, float] = {}
    count = int(rate * seconds)
    reader = threading.Thread(target=_receive, args=(consumer, received, count))
    reader.start()
    tick = time.perf_counter()
    for number in range(count):
        time.sleep(max(0.0, tick - time.perf_counter()))
        sent[number] = time.perf_counter()
        producer.send("bench-latency", key=str(number).encode(), value=b"x" * 600).get(10)
        tick += 1.0 / rate
    reader.join(30)
    producer.close()
    consumer.close()
    return [(received[n] - sent[n]) * 1000 for n in received]


def _receive(consumer: object, received: dict[int, float], count: int) -> None:
    deadline = time.monotonic() + 120
    while len(received) < count and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=200).values():  # type: ignore[attr-defined]
            now = time.perf_counter()
            for record in records:
                received[int(record.key)] = now


@contextmanager
def running_stack(database_url: str, bootstrap: str, folder: Path) -> Iterator[tuple[str, str]]:
    """``partner-registry up`` against this database and broker; yields its URL and a token."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ, "DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "KAFKA_FETCH_MAX_WAIT_MS": str(TANSU_FETCH_MAX_WAIT_MS), "FEED_DIR": str(folder / "feeds"),
        "SIGNING_KEY_FILE": str(folder / "key.pem"), "PUBLIC_BASE_URL": url,
        "LOG_FORMAT": "json", "LOG_LEVEL": "warning",
    }  # fmt: skip
    token = json.loads(
        _cli(env, "token", "create", "--actor", "bench.officer", "--role", "officer", "--json")
    )["token"]
    process = subprocess.Popen(
        [sys.executable, "-m", "registry", "up", "--port", str(port), "--log-dir", str(folder / "log")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_until(lambda: httpx.get(f"{url}/readyz", timeout=2).status_code == 200, process)
        yield url, token
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)


def _cli(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "registry", *args], env=env, capture_output=True, text=True,
        check=True,
    ).stdout  # fmt: skip


def _wait_until(ready: Callable[[], bool], process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the stack exited at start-up")
        try:
            if ready():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the stack did not become ready")
