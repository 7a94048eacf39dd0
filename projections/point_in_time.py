"""The register as it stood at the end of a given effective date.

Folded from audit entries: for each partner, the events in effect by that
date (effective date on or before it), in the partner's version order. An
event recorded later but backdated counts from its effective date.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from projections.audit_trail import AuditEntry
from projections.current_partners import PartnerRow, change


@dataclass
class StandingAsOf:
    """A partner on the date, and the events that put it there."""

    row: PartnerRow
    entries: list[AuditEntry] = field(default_factory=list)


def register_as_of(entries: Iterable[AuditEntry], day: date) -> list[StandingAsOf]:
    """Every partnership registered by ``day``, as it stood at the end of that day.

    ``entries`` may come in any order; only the register is held, never the
    entries of partners not yet registered.
    """
    in_effect: dict[str, list[AuditEntry]] = {}
    cutoff = day.isoformat()
    for entry in entries:
        if entry.effective_date <= cutoff:
            in_effect.setdefault(entry.partner_id, []).append(entry)
    standings = []
    for partner_entries in in_effect.values():
        partner_entries.sort(key=lambda e: e.version)
        if partner_entries[0].event_type != "Registered":
            continue
        row = None
        for entry in partner_entries:
            row = change(row, json.loads(entry.body), entry.position)
        if row is not None:
            standings.append(StandingAsOf(row, partner_entries))
    return sorted(standings, key=lambda s: (s.row.registered_on, s.entries[0].sequence))
