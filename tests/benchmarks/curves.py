"""How each cost grows with the record: throughput and peak memory at three sizes, plotted.

Writes, the relay and the projections are measured on stores of three
sizes of partner events; the auditor's replay on topics of three sizes;
publishing the feeds after one change, and ``GET /partners?q=``, on read
models of three sizes of register. Each point runs in a process of its own
(``tests.benchmarks.curve_point``), so that its peak memory is its own.
The plot (PNG, matplotlib) goes beside the figures; the summary table gets
one line for each curve: the rate at the largest size against the
smallest, which a flat (per event) or logarithmic (per lookup) cost keeps
near 1.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from uuid import uuid4

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr

from infra.local.broker import LocalBroker
from registry.bootstrap import build_read_models
from registry.config import Settings
from registry.record import note
from registry.record.chain import GENESIS, canonical_json, chain_hash_of_canonical
from registry.record.messages import PublishedEvent
from registry.service.records import PublicRecord
from tests.benchmarks import bench_pipeline, bench_replay
from tests.benchmarks.common import Result, Target, machine, scratch_database
from tests.builders import TODAY, decision, findings, obligation, records_of, registered
from tests.conftest import open_registry

WRITE_CYCLES = 300
FEED_CHANGES = 20
SEARCHES = 50


@dataclass(frozen=True)
class Curve:
    """One stage's points: (size, items a second, peak MiB)."""

    stage: str
    size_unit: str
    rate_unit: str
    points: list[tuple[int, float, float]]
    target: Target

    def results(self) -> list[Result]:
        """The summary's lines: rate and peak memory at the largest size against the smallest."""
        (small, small_rate, small_peak), (large, large_rate, large_peak) = (
            self.points[0], self.points[-1])  # fmt: skip
        name = f"growth: {self.stage}, {large:,} vs {small:,} {self.size_unit}"
        points = {size: {"rate": round(rate, 1), "peak_mib": round(peak, 1)}
                  for size, rate, peak in self.points}  # fmt: skip
        return [
            Result(f"{name}, rate", large_rate, small_rate, self.rate_unit, self.target,
                   notes={"points": points}),
            Result(f"{name}, peak memory", large_peak, small_peak, "MiB", Target(ratio=0.91),
                   higher_is_better=False),
        ]  # fmt: skip


def run(scratch: Path, sizes: dict[str, tuple[int, ...]], plot: Path) -> list[Result]:
    """Measure every curve, draw them into ``plot``, and return the summary's lines."""
    curves = [*pipeline_curves(scratch, sizes["events"]), replay_curve(sizes["replay"]),
              *register_curves(scratch, sizes["partners"])]  # fmt: skip
    about = machine()
    draw(curves, plot, f"Measured {about['date']} at commit {about['commit']}: {about['cpu']}, "
                       f"{about['cores']} cores, {about['memory']}, Python {about['python']}, "
                       f"PostgreSQL {about['postgresql'].split()[0]}, {about['broker']}")  # fmt: skip
    return [result for curve in curves for result in curve.results()]


def point(stage: str, **args: Any) -> tuple[float, float]:
    """Items a second and peak MiB of one stage, in a process of its own."""
    done = subprocess.run([sys.executable, "-m", "tests.benchmarks.curve_point", stage,
                           json.dumps(args)], capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{stage} failed: {done.stderr[-800:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return figures["items"] / figures["seconds"], figures["peak_mib"]


def pipeline_curves(scratch: Path, sizes: tuple[int, ...]) -> list[Curve]:
    """Writes, relay and projections on stores of each size."""
    found: dict[str, list[tuple[int, float, float]]] = {
        "writes": [],
        "relay": [],
        "projections": [],
    }
    for size in sizes:
        with scratch_database() as url, LocalBroker() as broker:
            registry = open_registry(url)
            bench_pipeline.fill(registry, size)
            registry.close()
            args = {"database_url": url, "bootstrap": broker.bootstrap_servers,
                    "key": str(scratch / f"curve-key-{size}.pem")}  # fmt: skip
            found["writes"].append((size, *point("writes", cycles=WRITE_CYCLES, **args)))
            found["relay"].append((size, *point("relay", **args)))
            events = size + WRITE_CYCLES * 4
            found["projections"].append((size, *point("projections", events=events, **args)))
    return [
        Curve("writes", "events stored", "events/s", found["writes"], Target(ratio=0.8)),
        Curve("relay", "events", "events/s", found["relay"], Target(ratio=0.8)),
        Curve("projections", "events", "events/s", found["projections"], Target(ratio=0.8)),
    ]


def replay_curve(sizes: tuple[int, ...]) -> Curve:
    """The auditor's full replay of signed topics of each size."""
    key = Ed25519PrivateKey.generate()
    vkey = note.verifier_of(bench_replay.ORIGIN, key.public_key()).vkey
    points = []
    for size in sizes:
        with LocalBroker() as broker:
            bench_replay.publish(broker.bootstrap_servers, "c.", size, key)
            seconds, peak_kib, _ = bench_replay.replay_in_child(
                broker.bootstrap_servers, "c.", vkey
            )
        points.append((size, size / seconds, peak_kib / 1024))
    return Curve("replay", "events", "events/s", points, Target(ratio=0.8))


def register_curves(scratch: Path, sizes: tuple[int, ...]) -> list[Curve]:
    """Publishing the feeds after a change, and searching by name, in registers of each size."""
    feed, search = [], []
    for size in sizes:
        with scratch_database() as url:
            store = build_read_models(Settings(database_url=SecretStr(url)))
            store.rebuild(registrations(size), {})
            store.close()
            folder = scratch / f"feed-{size}"
            feed.append((size, *point("feed", database_url=url, folder=str(folder),
                                      changes=FEED_CHANGES)))  # fmt: skip
            search.append((size, *point("search", database_url=url, queries=SEARCHES,
                                        partners=size)))  # fmt: skip
    return [
        Curve("feed after one change", "partners", "publishes/s", feed, Target(ratio=0.5)),
        Curve("search by name", "partners", "queries/s", search, Target(ratio=0.5)),
    ]


def registrations(count: int) -> Iterator[PublishedEvent]:
    """``count`` registrations, numbered and chained, named ``Platform 000001 ...``."""
    template = records_of(registered())[0]
    previous = GENESIS
    for sequence in range(1, count + 1):
        data = template["data"] | {"name": f"Platform {sequence:06d} {uuid4().hex[:6]}"}
        record = cast(PublicRecord, template | {"partner_id": str(uuid4()), "data": data})
        body = canonical_json(record)
        previous = chain_hash_of_canonical(previous, body)
        yield PublishedEvent(record, sequence, sequence, previous, body)


def changes(database_url: str, count: int) -> list[PublishedEvent]:
    """An evaluation of each of ``count`` registered partners, following the trail's head.

    Only those rows are read: reading the whole register here (100,000
    partner rows) was counted in the feed curve's peak memory as the
    publisher's own.
    """
    store = build_read_models(Settings(database_url=SecretStr(database_url)))
    head = store.chain_head()
    rows = store.partners_after(0, count)
    store.close()
    partner = registered()
    partner.evaluate(findings(), [obligation()], decision(), today=TODAY)
    template = records_of(partner)[1]
    events, previous, sequence = [], head.chain_hash, head.sequence
    for row in rows:
        record = template | {"partner_id": row.partner_id, "version": 2}
        body = canonical_json(record)
        sequence += 1
        previous = chain_hash_of_canonical(previous, body)
        events.append(PublishedEvent(record, sequence, sequence, previous, body))
    return events


def draw(curves: list[Curve], plot: Path, title: str) -> None:
    """One column per stage: its rate (top) and its peak memory (bottom) against size."""
    figure, axes = plt.subplots(2, len(curves), figsize=(3.2 * len(curves), 6.2),
                                constrained_layout=True)  # fmt: skip
    for column, curve in enumerate(curves):
        sizes = [size for size, _, _ in curve.points]
        for row, (values, label) in enumerate((
            ([rate for _, rate, _ in curve.points], curve.rate_unit),
            ([peak for _, _, peak in curve.points], "peak MiB"),
        )):  # fmt: skip
            axis = axes[row][column]
            axis.plot(sizes, values, marker="o")
            axis.set_xscale("log")
            axis.set_ylim(bottom=0, top=max(values) * 1.25)
            axis.set_xlabel(curve.size_unit)
            axis.set_ylabel(label)
            axis.grid(visible=True, which="both", alpha=0.3)
        axes[0][column].set_title(curve.stage, fontsize=10)
    figure.suptitle(title, fontsize=9)
    plot.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(plot, dpi=110)
    plt.close(figure)
