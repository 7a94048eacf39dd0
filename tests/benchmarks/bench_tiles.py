"""Verifying the whole log from its tiles over HTTP, against simply downloading the same tiles.

A signed log of synthetic records is kept in a scratch database as the
relay keeps it, and ``partner-registry serve`` serves it. The baseline
downloads every entry bundle, as fetched by the same client with the same
prefetch, and does nothing with them. Ours, each in a child process, start-up
included: ``partner-registry log verify --url`` (the checkpoint's signature,
every leaf hashed, the tree's root against it) and, for comparison,
``audit replay --url`` (the same, plus every record's schema and chain and
the register folded).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from consumers.audit.tiles_reader import HttpLog
from consumers.parts import heap
from consumers.relay.transparency_log import TransparencyLog
from infra.local.broker import free_port
from registry.adapters.log_store import LogStore
from registry.adapters.sqldb_postgres import PostgresDatabase
from registry.record import note
from tests.benchmarks.bench_replay import PARTNERS
from tests.benchmarks.common import Result, Target, wait_until_serving
from tests.builders import long_history

ORIGIN = "bench.example/partner-registry"


def fill(database_url: str, count: int, key: Ed25519PrivateKey) -> None:
    """The log of ``count`` synthetic records, signed and kept as the relay keeps it."""
    store = LogStore(PostgresDatabase(database_url, 1, 2))
    store.setup()
    log = TransparencyLog(store, key, ORIGIN)
    records = long_history(count, PARTNERS)
    while batch := list(islice(records, 2000)):
        log.keep(log.sign(batch)[1])
    log.close()


@contextmanager
def serving(database_url: str, folder: Path, key: Ed25519PrivateKey) -> Iterator[str]:
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / "key.pem"
    key_file.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_ORIGIN": ORIGIN,
           "SIGNING_KEY_FILE": str(key_file), "FEED_DIR": str(folder / "feeds"),
           "LOG_LEVEL": "warning"}  # fmt: skip
    server = subprocess.Popen([sys.executable, "-m", "registry", "serve", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url)
        yield url
    finally:
        server.terminate()
        server.wait(15)


def download(url: str, count: int) -> float:
    """Seconds to download every entry bundle of the log, doing nothing with them."""
    heap.settle()
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=30) as client:
        fetched = sum(len(bundle) for bundle in HttpLog(client).bundles(count))
    assert fetched > 0
    return time.perf_counter() - started


def timed_cli(*args: str) -> float:
    """Seconds a partner-registry command takes, start-up included, in a child process."""
    env = {"PATH": os.environ["PATH"], "LOG_LEVEL": "warning", "SIGNING_KEY_FILE": "/nonexistent"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "registry", *args], env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{args[:2]} failed: {done.stdout[-500:]}{done.stderr[-500:]}")
    return seconds


def startup(*command: str) -> float:
    """Seconds COMMAND takes to start and exit (part of ours, none of the baseline's)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "registry", *command, "--help"], capture_output=True,
                   check=True)  # fmt: skip
    return round(time.perf_counter() - started, 2)


def run(database_url: str, folder: Path, count: int) -> list[Result]:
    key = Ed25519PrivateKey.generate()
    fill(database_url, count, key)
    vkey = note.verifier_of(ORIGIN, key.public_key()).vkey
    with serving(database_url, folder, key) as url:
        first = download(url, count)
        verified = timed_cli("log", "verify", "--url", url, "--log-vkey", vkey)
        replayed = timed_cli("audit", "replay", "--url", url, "--log-vkey", vkey, "--json")
        second = download(url, count)
    baseline = min(first, second)
    notes = {"download_seconds": [round(first, 2), round(second, 2)]}
    return [
        Result(f"log verify from tiles over HTTP, {count:,} records, vs download",
               count / verified, count / baseline, "records/s", Target(ratio=0.7),
               notes=notes | {"verify_seconds": round(verified, 2),
                              "start_seconds": startup("log", "verify")}),
        Result(f"audit replay from tiles over HTTP, {count:,} records, vs download",
               count / replayed, count / baseline, "records/s", Target(),
               notes=notes | {"replay_seconds": round(replayed, 2),
                              "start_seconds": startup("audit", "replay")}),
    ]  # fmt: skip
