"""A partnership's status over time, and the register's by month: the data the pages draw.

Both follow the one point-in-time rule (``projections/point_in_time.py``): on
a day, the events in effect by then, applied in recorded order. The pages
draw them as inline SVG, with the same facts as text beside each drawing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from projections.audit_trail import AuditEntry
from projections.point_in_time import PointInTime, partner_at, register_at

STATUS_COLOURS = {
    "active": "#1b6e3a", "warned": "#8a4b00", "suspended": "#5b2a86",
    "terminated": "#8a0000", "withdrawn": "#3d3d3d",
}  # fmt: skip
"""Each status's colour: every one has at least 4.5:1 contrast against white text."""


@dataclass(frozen=True)
class Period:
    """A span of days in one status, as a share of the whole timeline for drawing."""

    status: str
    start: date
    end: date
    x: float
    width: float


def status_periods(entries: Sequence[AuditEntry], today: date) -> list[Period]:
    """The partner's status from its first day to today, one period per change of status."""
    days = sorted({date.fromisoformat(e.effective_date) for e in entries})
    if not days:
        return []
    changes: list[tuple[date, str]] = []
    for day in days:
        standing = partner_at(entries, PointInTime(as_of=day))
        if standing is not None and (not changes or changes[-1][1] != standing.row.status):
            changes.append((day, standing.row.status))
    first, last = changes[0][0], max(today, days[-1])
    total = max((last - first).days, 1)
    periods = []
    for (start, status), following in zip(changes, [*changes[1:], (last, "")], strict=True):
        end = following[0]
        periods.append(Period(status, start, end, 1000 * (start - first).days / total,
                              max(1000 * (end - start).days / total, 2.0)))  # fmt: skip
    return periods


@dataclass(frozen=True)
class Month:
    """The register at the end of one month: how many partners in each status."""

    end: date
    counts: dict[str, int]


def register_by_month(entries: Sequence[AuditEntry], today: date) -> list[Month]:
    """Partners per status at each month's end, from the first registration to this month."""
    days = [date.fromisoformat(e.effective_date) for e in entries]
    if not days:
        return []
    months, cursor = [], _month_end(min(days))
    while cursor < _month_end(today):
        months.append(cursor)
        cursor = _month_end(cursor + timedelta(days=1))
    months.append(today)
    return [
        Month(end, dict(Counter(s.row.status for s in register_at(entries, PointInTime(end)))))
        for end in months
    ]


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)
