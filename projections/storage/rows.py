"""Table rows to values and back: one place knows the column order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

import orjson

from projections.audit_trail import AuditEntry
from projections.current_partners import PartnerRow
from projections.storage.schema import AUDIT_COLUMNS, PARTNER_COLUMNS


def now() -> str:
    """The time a row is written, as stored (ISO 8601, UTC)."""
    return datetime.now(UTC).isoformat()


def partner_row(row: Sequence[Any]) -> PartnerRow:
    """A partner row read from the table."""
    values = dict(zip(PARTNER_COLUMNS, row, strict=True))
    values["open_warnings"] = tuple(orjson.loads(values["open_warnings"]))
    values["objections"] = tuple(orjson.loads(values["objections"]))
    values["corrections"] = tuple(orjson.loads(values["corrections"]))
    values["latest_criteria"] = orjson.loads(values["latest_criteria"])
    values["version"], values["position"] = int(values["version"]), int(values["position"])
    return PartnerRow(**values)


def partner_params(row: PartnerRow) -> tuple[Any, ...]:
    """A partner row as statement parameters, in column order."""
    values = row.to_json()
    for name in ("latest_criteria", "open_warnings", "objections", "corrections"):
        values[name] = orjson.dumps(values[name], option=orjson.OPT_SORT_KEYS).decode()
    return (*(values[c] for c in PARTNER_COLUMNS), search_key(row.name))


def search_key(text: str) -> str:
    """A name or a search as the register compares them: case-folded, spaces trimmed."""
    return text.casefold().strip()


def entry(row: Sequence[Any]) -> AuditEntry:
    """An audit-trail entry read from the table."""
    values = dict(zip(AUDIT_COLUMNS, row, strict=True))
    for name in ("sequence", "position", "version"):
        values[name] = int(values[name])
    return AuditEntry(**values)


_ENTRY_VALUES = attrgetter(*AUDIT_COLUMNS)
_CHECKPOINT = AUDIT_COLUMNS.index("checkpoint")


def entry_params(audit_entry: AuditEntry, *, verified: bool = False) -> tuple[Any, ...]:
    """An audit-trail entry as statement parameters, in column order.

    A verified entry is kept without its checkpoint: the signed tree at the
    trail's head covers it.
    """
    values: tuple[Any, ...] = _ENTRY_VALUES(audit_entry)
    if verified:
        return (*values[:_CHECKPOINT], "", *values[_CHECKPOINT + 1 :])
    return values
