"""The public, plain form of a partner event.

One shape serves every reader (the CLI, the HTTP API, Kafka, the audit
trail), so what an auditor sees is what a downstream service consumes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from registry.domain.partner import Partner

SCHEMA_VERSION = 1
"""The version of the published record's shape (``infra/schemas/*.v1``).

It changes only when what is published changes, not when the store keeps an
event differently (that is the event's ``class_version``, upcast on reading).
"""

COMMON_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "originator_topic",
        "timestamp",
        "effective_date",
        "actor",
        "reason",
    }
)


@dataclass(frozen=True)
class EventRecord:
    """Who did what to which partner, when it was recorded and when it took effect."""

    partner_id: UUID
    version: int
    type: str
    schema_version: int
    recorded_at: datetime
    effective_date: date
    actor: str
    reason: str
    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The record with every value a JSON scalar, list or object."""
        return {
            "partner_id": str(self.partner_id),
            "version": self.version,
            "type": self.type,
            "schema_version": self.schema_version,
            "recorded_at": self.recorded_at.isoformat(),
            "effective_date": self.effective_date.isoformat(),
            "actor": self.actor,
            "reason": self.reason,
            "data": jsonable(self.data),
        }


def record_of(domain_event: Partner.Event) -> EventRecord:
    """Flatten a stored partner event into its public record.

    A registration's declaration sits in the record's data beside nothing
    else, as it always has: how the store nests it is not the public shape.
    """
    fields = dict(vars(domain_event))
    fields.update(fields.pop("platform", {}))
    return EventRecord(
        partner_id=domain_event.originator_id,
        version=domain_event.originator_version,
        type=type(domain_event).__name__,
        schema_version=SCHEMA_VERSION,
        recorded_at=domain_event.timestamp,
        effective_date=fields["effective_date"],
        actor=fields["actor"],
        reason=fields["reason"],
        data={k: v for k, v in fields.items() if k not in COMMON_FIELDS},
    )


_PLAIN = frozenset({str, int, bool, float})


def jsonable(value: Any) -> Any:
    """Turn dates, times and ids inside plain data into strings, recursively."""
    if value is None or type(value) in _PLAIN:
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value
