"""The register at a point in time: on an effective date, as it was known at a moment.

Two times belong to every event: the date its decision takes effect
(``effective_date``, which an officer may backdate) and the moment it was
recorded (``recorded_at``, set by the store). Auditors ask two questions:
"what was true on D, as we know it now?" (``as_of``) and "what did the
register say about D, as it was known at T?" (``as_of`` with ``known_at``).

The one rule by which events combine: **a partner on date D as known at T
is its events effective on or before D and recorded at or before T, applied
in the order they were recorded** (version order). An effective date decides
*whether* an event counts on a date, never *where* it falls among the
others: a backdated event is applied after the events recorded before it,
as the officer who recorded it saw them. The domain keeps every such fold
meaningful: an event may only act on what was in effect by its own
effective date (a compliant evaluation resolves only the warnings issued
with effect by then), so leaving out a later-effective event never leaves an
earlier one pointing at nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from projections.audit_trail import AuditEntry
from projections.current_partners import PartnerRow, change


@dataclass(frozen=True)
class PointInTime:
    """Which events count: effective by ``as_of`` and recorded by ``known_at`` (None: all)."""

    as_of: date | None = None
    known_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.known_at is not None and self.known_at.tzinfo is None:
            raise ValueError("known_at must say its time zone")

    @property
    def is_now(self) -> bool:
        """Whether this is the register as it stands, every recorded event counted."""
        return self.as_of is None and self.known_at is None

    def described(self) -> str:
        """The point in words, for people reading a command's output or a page."""
        day = f"at the end of {self.as_of}" if self.as_of else "with every effective date"
        if self.known_at is None:
            return day if self.as_of else "now"
        return f"{day}, as recorded by {self.known_at.isoformat()}"

    def day(self, today: date, timezone: str) -> date:
        """The calendar day the point refers to (what is overdue then): as_of, else known_at's."""
        if self.as_of is not None:
            return self.as_of
        if self.known_at is not None:
            return self.known_at.astimezone(ZoneInfo(timezone)).date()
        return today

    def counts(self, effective_date: str, recorded_at: str) -> bool:
        """Whether an event with these two times is part of the register at this point."""
        if self.as_of is not None and effective_date > self.as_of.isoformat():
            return False
        return self.known_at is None or datetime.fromisoformat(recorded_at) <= self.known_at


@dataclass
class StandingAsOf:
    """A partner at the point in time, and the events that put it there."""

    row: PartnerRow
    entries: list[AuditEntry] = field(default_factory=list)


def register_at(entries: Iterable[AuditEntry], point: PointInTime) -> list[StandingAsOf]:
    """Every partnership registered by the point in time, as it stood then.

    ``entries`` may come in any order; only those that count are held.
    """
    counted: dict[str, list[AuditEntry]] = {}
    for entry in entries:
        if point.counts(entry.effective_date, entry.recorded_at):
            counted.setdefault(entry.partner_id, []).append(entry)
    standings = [s for s in map(_standing, counted.values()) if s is not None]
    return sorted(standings, key=lambda s: (s.row.registered_on, s.entries[0].sequence))


def partner_at(entries: Iterable[AuditEntry], point: PointInTime) -> StandingAsOf | None:
    """One partner's standing at the point in time (None: not registered by then)."""
    return _standing([e for e in entries if point.counts(e.effective_date, e.recorded_at)])


def _standing(entries: list[AuditEntry]) -> StandingAsOf | None:
    if not entries:
        return None
    entries.sort(key=lambda e: e.version)
    if entries[0].event_type != "Registered":
        return None
    row = None
    for entry in entries:
        row = change(row, json.loads(entry.body), entry.position)
    return None if row is None else StandingAsOf(row, entries)
