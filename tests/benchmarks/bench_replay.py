"""The auditor's replay against a raw consumer reading the same records, and its memory.

A synthetic public record (a few partners, then evaluation after
evaluation), each record signed as the relay signs it, is published
straight to a topic. Both readers wait at most as long for a fetch as the
local stack's parts do on this broker (Tansu holds a fetch to its maximum
wait). ``partner-registry audit
replay`` reads it in a child process whose peak resident memory is taken
from the kernel; a raw consumer reads the same records and does nothing.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from consumers.audit.reader import RECORDS_PER_POLL
from infra.local.broker import TANSU_FETCH_MAX_WAIT_MS, LocalBroker
from registry.record import note
from registry.record.merkle import Frontier, leaf_hash
from registry.record.messages import PublishedEvent, encode_event
from registry.record.tree_head import TreeHead
from tests.benchmarks.bench_pipeline import read_raw
from tests.benchmarks.common import Result, Target
from tests.builders import long_history

PARTNERS = 20
ORIGIN = "prakerja.go.id/partner-registry"


def signed(events: Iterator[PublishedEvent], key: Ed25519PrivateKey) -> Iterator[PublishedEvent]:
    """Each record with the signed checkpoint of the tree it ends, as the relay sends it."""
    frontier = Frontier()
    for event in events:
        frontier.append(leaf_hash(event.canonical))
        body = TreeHead(ORIGIN, event.sequence, frontier.root()).body()
        yield dataclasses.replace(
            event, checkpoint=note.signed_note(body, [note.sign(body, ORIGIN, key)])
        )


def publish(bootstrap: str, prefix: str, count: int, key: Ed25519PrivateKey) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(f"{prefix}partner-events", 3, 1)])
    admin.close()
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks=1, linger_ms=20, batch_size=256 * 1024
    )
    for event in signed(long_history(count, PARTNERS), key):
        message = encode_event(event, source="urn:synthetic")
        producer.send(
            f"{prefix}partner-events", key=message.key, value=message.value, headers=message.headers
        )
    producer.flush()
    producer.close()


def replay_in_child(bootstrap: str, prefix: str, vkey: str) -> tuple[float, int, str]:
    """Seconds, peak resident memory (KiB) and output of ``audit replay`` in a child process.

    The peak is the sum of the high-water marks (VmHWM) of the replay and of
    the process it reads the topic with, read while they run (an upper bound:
    their peaks need not coincide). The rusage of a child started from this
    large process would count the pages it shared with this one before it
    executed.
    """
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KAFKA_TOPIC_PREFIX": prefix,
           "LOG_LEVEL": "warning", "SIGNING_KEY_FILE": "/nonexistent",
           "KAFKA_FETCH_MAX_WAIT_MS": str(TANSU_FETCH_MAX_WAIT_MS)}  # fmt: skip
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "registry", "audit", "replay", "--json", "--log-vkey", vkey],
            env=env, stdout=out, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        peaks: dict[int, int] = {}
        while child.poll() is None:
            for pid in _tree(child.pid):
                peaks[pid] = max(peaks.get(pid, 0), _high_water_mark(pid))
            time.sleep(0.02)
        peak = sum(peaks.values())
        seconds = time.perf_counter() - started
        out.seek(0)
        output = out.read().decode()
    if child.returncode != 0:
        raise RuntimeError(f"replay failed: {output[-500:]}")
    return seconds, peak, output


def _tree(pid: int) -> list[int]:
    """The process and its descendants (the replay reads the topic in a child of its own)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as children:
            found = [int(c) for c in children.read().split()]
    except OSError:
        return [pid]
    return [pid, *(d for c in found for d in _tree(c))]


def _high_water_mark(pid: int) -> int:
    """The process's peak resident memory so far, in KiB (0 once it has gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return 0
    return 0


def run(small: int, large: int) -> list[Result]:
    figures: dict[int, Any] = {}
    key = Ed25519PrivateKey.generate()
    vkey = note.verifier_of(ORIGIN, key.public_key()).vkey
    with LocalBroker() as broker:
        for count in (small, large):
            prefix = f"n{count}."
            publish(broker.bootstrap_servers, prefix, count, key)
            raw = read_raw(broker.bootstrap_servers, f"{prefix}partner-events",
                           RECORDS_PER_POLL, fetch_max_wait_ms=TANSU_FETCH_MAX_WAIT_MS)  # fmt: skip
            seconds, peak_kib, _ = replay_in_child(broker.bootstrap_servers, prefix, vkey)
            figures[count] = (seconds, raw, peak_kib)
    seconds, raw, peak = figures[large]
    small_peak = figures[small][2]
    return [
        Result(f"auditor replay, {large:,} events, vs raw consumer", large / seconds, large / raw,
               "events/s", Target(ratio=0.7),
               notes={"peak_rss_mib": {small: round(small_peak / 1024, 1), large: round(peak / 1024, 1)},
                      "peak_growth": round(peak / small_peak, 3)}),
        Result(f"auditor replay peak memory, {large:,} vs {small:,} events", peak / 1024,
               small_peak / 1024, "MiB", Target(ratio=0.91), higher_is_better=False),
    ]  # fmt: skip
