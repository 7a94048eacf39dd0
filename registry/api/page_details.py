"""What each event of a partner's history decided, for its page: read from the audit trail.

The history table shows each event's own facts (an evaluation's verdict,
finding and citation per criterion and the obligations checked; a warning's
subject and deadline; an extension's new deadline; an amendment's changes;
an objection and its outcome) and, for each warning, what became of it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from projections.audit_trail import AuditEntry

_CLOSING = {"WarningResolved": "resolved", "WarningWithdrawn": "withdrawn"}


def decided(entries: Sequence[AuditEntry]) -> dict[int, dict[str, Any]]:
    """Each event's data, by version (the record as published)."""
    return {e.version: json.loads(e.body)["data"] for e in entries}


def warning_fates(
    entries: Sequence[AuditEntry], data_of: dict[int, dict[str, Any]],
    open_numbers: Sequence[int], overdue: Sequence[int], day: date,
) -> dict[int, dict[str, Any]]:  # fmt: skip
    """What became of each warning: resolved, withdrawn, cured, lifted on objection, or open.

    ``data_of`` is ``decided(entries)``: the records are read once for the whole page.
    """
    fates: dict[int, dict[str, Any]] = {}
    objected: dict[int, int | None] = {}
    for entry in entries:
        data = data_of[entry.version]
        if entry.event_type == "ObjectionLodged":
            objected[data["objection_number"]] = data["warning_number"]
        for number in _closed_by(entry.event_type, data, objected):
            fates[number] = {"fate": _fate_of(entry.event_type), "version": entry.version,
                             "on": entry.effective_date}  # fmt: skip
    for number in open_numbers:
        fates[number] = {"fate": "overdue" if number in overdue else "open", "version": None,
                         "on": day.isoformat()}  # fmt: skip
    return fates


def _closed_by(event_type: str, data: dict[str, Any], objected: dict[int, int | None]) -> list[int]:
    if event_type in _CLOSING:
        return [data["warning_number"]]
    if event_type == "Evaluated":
        return list(data.get("resolved_warnings", []))
    if event_type == "ObjectionDecided" and data["lifted"] == "warning":
        number = objected.get(data["objection_number"])
        return [number] if number is not None else []
    return []


def _fate_of(event_type: str) -> str:
    return _CLOSING.get(event_type) or ("lifted" if event_type == "ObjectionDecided" else "cured")
