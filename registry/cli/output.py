"""What commands print: tables for people, JSON for scripts.

Every value from the record is printed as plain text, never as console
markup, so a name like "[bold]x" or "<script>" shows exactly as recorded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from projections.current_partners import PartnerRow
from projections.point_in_time import StandingAsOf
from registry.cli.json_output import emit_json
from registry.domain.platforms import DECLARED, legal_form_of
from registry.service.application import Recorded
from registry.service.records import PublicRecord
from registry.service.seed import SeedReport
from registry.service.views import PartnerDetails


def show_recorded(recorded: Recorded, as_json: bool) -> None:
    """Confirm a recorded command."""
    if as_json:
        emit_json(
            {
                "partner_id": str(recorded.partner_id),
                "version": recorded.version,
                "position": recorded.position,
                "event": recorded.event,
            }
        )
        return
    typer.echo(
        f"Recorded {recorded.event['type']} for partner {recorded.partner_id} "
        f"(version {recorded.version}, position {recorded.position})."
    )


def show_partners(partners: Sequence[PartnerDetails], as_json: bool) -> None:
    """The register as a table, one row per partnership."""
    if as_json:
        emit_json([p.to_json() for p in partners])
        return
    if not partners:
        typer.echo(
            "The register is empty. `partner-registry seed` loads the 27 April 2020 register."
        )
        return
    table = Table(title=f"Partner platforms ({len(partners)})")
    for column in (
        "Name",
        "Legal form",
        "Status",
        "Since",
        "Latest evaluation",
        "Warnings",
    ):
        table.add_column(column, overflow="fold")
    for p in partners:
        table.add_row(*(Text(cell) for cell in _row(p)))
    Console().print(table)


def show_partner(partner: PartnerDetails, history: Sequence[PublicRecord], as_json: bool) -> None:
    """One partner's standing and its whole history."""
    if as_json:
        emit_json({"partner": partner.to_json(), "events": list(history)})
        return
    console = Console()
    console.print(Text(f"{partner.name} ({partner.id})", style="bold"))
    for label, value in _facts(partner):
        console.print(Text(f"  {label}: {value}"))
    corrections = [e for e in history if e["type"] == "Corrected"]
    for c in corrections:
        console.print(Text(f"  Corrected: {_correction_note(c)}", style="yellow"))
    console.print(Text("History:", style="bold"))
    for e in history:
        console.print(
            Text(
                f"  v{e['version']} {e['type']}, effective {e['effective_date']}, "
                f"recorded {datetime.fromisoformat(e['recorded_at']):%Y-%m-%d %H:%M} UTC, "
                f"by {e['actor']}"
            )
        )
        console.print(Text(f"      {e['reason']}"))
        for c in corrections:
            if c["type"] == "Corrected" and c["data"]["corrected_version"] == e["version"]:
                console.print(
                    Text(f"      (corrected by v{c['version']}, {c['recorded_at'][:10]})")
                )


def _correction_note(record: PublicRecord) -> str:
    """Which event a correction corrects, when and why, and each field's old and new value."""
    if record["type"] != "Corrected":
        return ""
    data = record["data"]
    fields = "; ".join(
        f"{name.replace('_', ' ')} {data['previous'][name] or '(none)'} -> {value or '(none)'}"
        for name, value in data["changes"].items()
    )
    return (
        f"v{data['fact_version']} ({data['fact_type']}) on {record['recorded_at'][:10]} "
        f"because {record['reason']}: {fields}"
    )


def show_rows(rows: Sequence[PartnerRow], title: str, as_json: bool) -> None:
    """The register at a point in time, as the read models fold it from the audit trail."""
    if as_json:
        emit_json([r.to_json() for r in rows])
        return
    table = Table(title=f"{title} ({len(rows)})")
    for column in ("Name", "Status", "Since", "Latest evaluation", "Warnings"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(*(Text(cell) for cell in _row_of(r)))
    Console().print(table)


def show_standing(standing: StandingAsOf, title: str, as_json: bool) -> None:
    """One partner at a point in time, and the events that count then."""
    events = [json.loads(e.body) for e in standing.entries]
    if as_json:
        emit_json({"partner": standing.row.to_json(), "events": events})
        return
    console = Console()
    row = standing.row
    console.print(Text(f"{row.name} ({row.partner_id}), {title}", style="bold"))
    _, status, since, latest, warnings = _row_of(row)
    facts = [("Status", status), ("Partner since", since), ("Latest evaluation", latest),
             ("Open warnings", warnings)]  # fmt: skip
    if row.terminated_on:
        facts.append(("Terminated", f"{row.terminated_on}: {row.termination_reason}"))
    for label, value in facts:
        console.print(Text(f"  {label}: {value}"))
    console.print(Text("Events that count:", style="bold"))
    for e in events:
        console.print(Text(f"  v{e['version']} {e['type']}, effective {e['effective_date']}, "
                           f"recorded {e['recorded_at']}, by {e['actor']}"))  # fmt: skip


def _row_of(r: PartnerRow) -> tuple[str, ...]:
    latest = f"{r.latest_outcome} ({r.latest_evaluated_on})" if r.latest_outcome else "none yet"
    warnings = ", ".join(f"#{w['warning_number']} due {w['deadline']}" for w in r.open_warnings)
    return r.name, r.status, r.registered_on, latest, warnings or "-"


def show_seed(report: SeedReport, as_json: bool) -> None:
    """Say what the seed recorded and what it found already there."""
    if as_json:
        emit_json({"registered": report.registered, "already_present": report.already_present,
                   "rules_recorded": report.rules_recorded})  # fmt: skip
        return
    rules = "the first rule set recorded" if report.rules_recorded else "rules already recorded"
    typer.echo(
        f"Seed: {len(report.registered)} platforms registered, "
        f"{len(report.already_present)} already present; {rules}."
    )


def _row(p: PartnerDetails) -> tuple[str, ...]:
    evaluation = p.latest_evaluation
    latest = (
        f"{evaluation['outcome']} ({evaluation['effective_date'].isoformat()})"
        if evaluation
        else "none yet"
    )
    warnings = ", ".join(
        f"#{w['warning_number']} due {w['deadline'].isoformat()}" for w in p.open_warnings
    )
    legal_form = legal_form_of(p.platform).label
    if p.platform["exemption_basis"]:
        legal_form += " (exempt)"
    return (
        p.name,
        legal_form,
        p.status.value,
        p.registered_on.isoformat(),
        latest,
        warnings or "-",
    )


def _facts(p: PartnerDetails) -> list[tuple[str, str]]:
    _, legal_form, status, since, latest, warnings = _row(p)
    facts = [
        ("Status", status),
        ("Legal form", legal_form),
        ("Partner since", since),
        ("Latest evaluation", latest),
        ("Open warnings", warnings),
        ("Version", str(p.version)),
    ]
    declared: Mapping[str, object] = p.platform
    optional = [(f.fact.label, declared[f.name]) for f in DECLARED if f.optional]
    if p.terminated_on is not None:
        optional.append(("Terminated", f"{p.terminated_on.isoformat()}: {p.termination_reason}"))
    if p.suspended_on is not None:
        optional.append(("Suspended since", p.suspended_on.isoformat()))
    if p.withdrawn_on is not None:
        optional.append(("Withdrew", f"{p.withdrawn_on.isoformat()}: {p.withdrawal_reason}"))
    return facts + [(label, str(value)) for label, value in optional if value]
