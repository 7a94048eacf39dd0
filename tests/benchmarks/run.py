"""Run the benchmarks: ``make bench`` (full size) or ``python -m tests.benchmarks.run --quick``.

Each benchmark measures its raw baseline in the same run, on the same
machine, and the summary prints every ratio next to its target. The
figures and the machine go to ``var/bench/results.json`` as well.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from registry.logs import configure_logging
from tests.benchmarks import (
    bench_feed,
    bench_latency,
    bench_pipeline,
    bench_replay,
    bench_tiles,
    bench_writes,
    curves,
)
from tests.benchmarks.common import Result, machine, scratch_database

Sizes = dict[str, Any]
FULL: Sizes = {"cycles": 300, "events": 100_000, "replay_small": 100_000,
               "replay_large": 1_000_000, "latency_seconds": 60, "partners": 10_000,
               "tiles": 200_000,
               "curves": {"events": (10_000, 30_000, 100_000),
                          "replay": (10_000, 100_000, 1_000_000),
                          "partners": (1_000, 10_000, 100_000)},
               "plot": "docs/benchmarks/curves.png"}  # fmt: skip
QUICK: Sizes = {"cycles": 50, "events": 10_000, "replay_small": 10_000,
                "replay_large": 100_000, "latency_seconds": 10, "partners": 2_000,
                "tiles": 20_000,
                "curves": {"events": (2_000, 5_000, 10_000), "replay": (10_000, 30_000, 100_000),
                           "partners": (1_000, 3_000, 10_000)},
                "plot": "var/bench/curves.png"}  # fmt: skip


def _writes(sizes: Sizes, scratch: Path) -> list[Result]:
    with scratch_database() as url:
        return bench_writes.run(url, sizes["cycles"])


def _pipeline(sizes: Sizes, scratch: Path) -> list[Result]:
    with scratch_database() as url:
        return bench_pipeline.run(url, sizes["events"], str(scratch / "pipeline-key.pem"))


def _replay(sizes: Sizes, scratch: Path) -> list[Result]:
    return bench_replay.run(sizes["replay_small"], sizes["replay_large"])


def _tiles(sizes: Sizes, scratch: Path) -> list[Result]:
    with scratch_database() as url:
        return bench_tiles.run(url, scratch / "tiles", sizes["tiles"])


def _latency(sizes: Sizes, scratch: Path) -> list[Result]:
    with scratch_database() as url:
        return bench_latency.run(url, scratch / "latency", sizes["latency_seconds"])


def _feed(sizes: Sizes, scratch: Path) -> list[Result]:
    with scratch_database() as url:
        return bench_feed.run(url, scratch / "feed", sizes["partners"])


def _curves(sizes: Sizes, scratch: Path) -> list[Result]:
    return curves.run(scratch, sizes["curves"], Path(sizes["plot"]))


BENCHMARKS: dict[str, Callable[[Sizes, Path], list[Result]]] = {
    "writes": _writes,
    "pipeline": _pipeline,
    "replay": _replay,
    "tiles": _tiles,
    "latency": _latency,
    "feed": _feed,
    "curves": _curves,
}


def main(
    quick: Annotated[bool, typer.Option(help="Smaller sizes: a minute or two, for a first look.")] = False,
    only: Annotated[list[str] | None, typer.Option(help=f"Run only these: {', '.join(BENCHMARKS)}.")] = None,
    output: Annotated[Path, typer.Option(help="Where to write the figures as JSON.")] = Path("var/bench/results.json"),
) -> None:  # fmt: skip
    """Run the benchmarks and print each ratio against its raw baseline."""
    unknown = sorted(set(only or ()) - set(BENCHMARKS))
    if unknown:
        raise typer.BadParameter(f"unknown benchmark {', '.join(unknown)}", param_hint="--only")
    configure_logging("console", "warning")
    sizes = QUICK if quick else FULL
    about = machine()
    typer.echo("Machine: " + ", ".join(f"{k} {v}" for k, v in about.items()))
    results: list[Result] = []
    failed: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="registry-bench-") as scratch:
        for name, benchmark in BENCHMARKS.items():
            if only and name not in only:
                continue
            typer.echo(f"\n== {name} ({'quick' if quick else 'full'} size) ...")
            started = time.monotonic()
            try:
                found = benchmark(sizes, Path(scratch))
            except Exception as error:
                failed[name] = f"{type(error).__name__}: {error}"
                typer.echo(f"   FAILED: {failed[name]}", err=True)
                continue
            for result in found:
                typer.echo(f"   {result.line()}\n     {result.notes}")
            typer.echo(f"   ({time.monotonic() - started:.0f} s)")
            results.extend(found)
    _summary(results, failed, about)
    figures = [_figures(r) for r in results]
    _save(output, about, sizes, _with_earlier(output, figures) if only else figures)
    if failed:
        raise typer.Exit(1)


def _summary(results: list[Result], failed: dict[str, str], about: dict[str, str]) -> None:
    """Every ratio with its target, met or missed: a miss is a finding, not a failed build."""
    table = Table(title="Summary: ours against the raw baseline measured in this run",
                  caption=f"{about['cpu']}, {about['cores']} cores, commit {about['commit']}")  # fmt: skip
    for column in ("benchmark", "ours", "baseline", "ratio", "target", "met"):
        table.add_column(
            column, justify="right" if column in ("ours", "baseline", "ratio") else "left"
        )
    for r in results:
        met = {True: "met", False: "MISSED", None: "-"}[r.met]
        table.add_row(r.name, f"{r.ours:,.1f} {r.unit}", f"{r.baseline:,.1f} {r.unit}",
                      f"{r.ratio:.2f}", r.target.describe(r.unit), met)  # fmt: skip
    for name, error in failed.items():
        table.add_row(name, "-", "-", "-", "-", f"FAILED ({error[:60]})")
    Console(width=160).print(table)


def _with_earlier(output: Path, figures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """This run's figures, with an earlier run's figures for the other benchmarks kept."""
    names = {f["name"] for f in figures}
    earlier = json.loads(output.read_text(encoding="utf-8"))["results"] if output.exists() else []
    return [f for f in earlier if f["name"] not in names] + figures


def _figures(result: Result) -> dict[str, Any]:
    return asdict(result) | {"ratio": round(result.ratio, 3), "met": result.met,
                             "target": result.target.describe(result.unit)}  # fmt: skip


def _save(output: Path, about: dict[str, str], sizes: Sizes, figures: list[dict[str, Any]]) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    report = {"machine": about, "sizes": sizes, "results": figures}
    output.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    typer.echo(f"\nFigures written to {output}")


if __name__ == "__main__":
    typer.run(main)
