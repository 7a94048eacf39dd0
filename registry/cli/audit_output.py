"""How audit reports are printed: plain text for people, JSON for scripts."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from consumers.audit.verify import VerifyReport
from projections.audit_replay import ReplayReport
from projections.point_in_time import PointInTime
from registry.cli.json_output import emit_json
from registry.domain.criteria import LegalForm


def show_replay(report: ReplayReport, as_json: bool) -> None:
    """The replay's summary, findings and register."""
    if as_json:
        emit_json(_replay_json(report))
        return
    console = Console()
    span = (
        f"sequences {report.first_sequence}-{report.last_sequence}, store positions "
        f"{report.first_position}-{report.last_position}"
        if report.events
        else "no events"
    )
    console.print(Text(f"Read {report.records_read} records: {report.events} events ({span})."))
    console.print(Text(f"Signed checkpoints verified: {report.checkpoints_verified}."))
    if report.whole:
        console.print(
            Text(
                "The record is whole: nothing missing, repeated, altered or unreadable.",
                style="bold",
            )
        )
    else:
        counts = ", ".join(f"{kind}: {n}" for kind, n in sorted(report.counts.items()))
        console.print(Text(f"The record is NOT whole ({counts}).", style="bold red"))
        first = min((f for f in report.findings if f.sequence is not None),
                    key=lambda f: f.sequence or 0, default=None)  # fmt: skip
        if first is not None:
            console.print(Text(f"First bad sequence: {first.sequence} ({first.kind}).",
                               style="bold red"))  # fmt: skip
        for finding in report.findings:
            where = "" if finding.sequence is None else f"sequence {finding.sequence}: "
            console.print(Text(f"  {where}{finding.kind}: {finding.detail}"))
    if report.standings is not None:
        console.print(
            Text(
                f"Register {PointInTime(report.as_of, report.known_at).described()} "
                f"({len(report.standings)}):",
                style="bold",
            )
        )
        for standing in report.standings:
            console.print(Text(f"  {standing.row.name} - {standing.row.status}"))
            for m in standing.events:
                line = f"#{m.sequence} {m.event_type}, effective {m.effective_date}, by {m.actor}"
                console.print(Text(f"      {line}: {m.reason}"))
        return
    table = Table(title=f"Register rebuilt from the topic ({len(report.register)})")
    for column in ("Name", "Legal form", "Status", "Since", "Version"):
        table.add_column(column, overflow="fold")
    for row in report.register:
        cells = (
            row.name,
            LegalForm(row.legal_form).label,
            row.status,
            row.registered_on,
            str(row.version),
        )
        table.add_row(*(Text(c) for c in cells))
    console.print(table)


def show_verify(report: VerifyReport, as_json: bool) -> None:
    """The cross-check's comparison counts, lag and disagreements."""
    if as_json:
        emit_json(asdict(report) | {"agrees": report.agrees})
        return
    for source, count in report.compared.items():
        lag = report.lag.get(source, 0)
        behind = f", {lag} behind the others" if lag else ""
        typer.echo(f"{source}: {count} entries{behind}")
    typer.echo(f"Signed checkpoints checked: {report.checkpoints_checked}.")
    if report.agrees:
        typer.echo("The three sources agree.")
        return
    typer.echo(f"{report.disagreement_count} disagreements:")
    for detail in report.disagreements:
        typer.echo(f"  {detail}")


def _replay_json(report: ReplayReport) -> dict[str, Any]:
    plain = asdict(report)
    plain["whole"] = report.whole
    plain["as_of"] = report.as_of.isoformat() if report.as_of else None
    plain["known_at"] = report.known_at.isoformat() if report.known_at else None
    plain["register"] = [r.to_json() for r in report.register]
    if report.standings is not None:
        plain["standings"] = [
            {"partner": s.row.to_json(), "events": [asdict(m) for m in s.events]}
            for s in report.standings
        ]
    return plain
