"""The public, plain form of a partner event.

One shape serves every reader (the relay, Kafka, the read models, the
auditor's replay, the HTTP API, the CLI), so what an auditor sees is what a
downstream service consumes. The shape is typed, so ``mypy --strict`` checks
every field a reader takes from it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal, NotRequired, cast
from uuid import UUID

from typing_extensions import TypedDict

from registry.domain.partner import Partner
from registry.domain.platforms import Declaration

SCHEMA_VERSION = 1
"""The version of the published record's shape (``infra/schemas/*.v1``).

It changes only when what is published changes, not when the store keeps an
event differently (that is the event's ``class_version``, upcast on reading).
"""


class Finding(TypedDict):
    """The verdict on one criterion, as published; and what the rules in force cite for it."""

    verdict: str
    finding: str
    citation: NotRequired[str | None]


class RuleSetNamed(TypedDict):
    """The rule set an evaluation applied."""

    identifier: str
    title: str
    in_force_from: str


class ObligationResult(TypedDict):
    """One obligation of the agreement, checked, as published."""

    obligation: str
    met: bool
    finding: str


class DetailsAmendedData(TypedDict):
    """The details that changed (new values) and what each was before."""

    changes: dict[str, str | None]
    previous: dict[str, str | None]


class EvaluatedData(TypedDict):
    """What an evaluation found; a compliant one resolves the warnings listed."""

    criteria: dict[str, Finding]
    obligations: list[ObligationResult]
    outcome: str
    resolved_warnings: list[int]
    rule_set: NotRequired[RuleSetNamed | None]


class WarnedData(TypedDict):
    """The breach warned of (one criterion or one obligation) and the deadline to remedy it."""

    warning_number: int
    criterion: str | None
    obligation: str | None
    deadline: str


class WarningWithdrawnData(TypedDict):
    """The warning withdrawn as issued in error (the reason says why)."""

    warning_number: int


class WarningResolvedData(TypedDict):
    """The warning closed on evidence that the breach was remedied, and that evidence."""

    warning_number: int
    evidence: str


class WarningDeadlineExtendedData(TypedDict):
    """The warning given more time, its new deadline and the one it replaces."""

    warning_number: int
    deadline: str
    previous_deadline: str


class ObjectionLodgedData(TypedDict):
    """Which decision the platform objects to (by version; a warning also by number).

    The record's reason is the platform's grounds.
    """

    objection_number: int
    against_version: int
    against_type: str
    warning_number: int | None


class ObjectionDecidedData(TypedDict):
    """The decision on an objection and what upholding it undid (None: nothing in force)."""

    objection_number: int
    outcome: str
    lifted: str | None


class CorrectedData(TypedDict):
    """Which event is corrected, the fact it concerns, and each changed field's new and old value.

    ``fact_version`` is the event whose fact this is: the corrected event
    itself, or for a correction of a correction the event first corrected.
    """

    corrected_version: int
    corrected_type: str
    fact_version: int
    fact_type: str
    warning_number: int | None
    changes: dict[str, str | None]
    previous: dict[str, str | None]


class NoData(TypedDict):
    """A decision that carries nothing beyond its effective date, actor and reason.

    Termination, suspension, reinstatement and withdrawal: the reason says it all.
    """


class _Record(TypedDict):
    partner_id: str
    version: int
    schema_version: int
    recorded_at: str
    effective_date: str
    actor: str
    reason: str


class RegisteredRecord(_Record):
    """A registration, with the platform's declaration as data."""

    type: Literal["Registered"]
    data: Declaration


class DetailsAmendedRecord(_Record):
    """Details of the platform amended."""

    type: Literal["DetailsAmended"]
    data: DetailsAmendedData


class EvaluatedRecord(_Record):
    """An evaluation."""

    type: Literal["Evaluated"]
    data: EvaluatedData


class WarnedRecord(_Record):
    """A warning."""

    type: Literal["Warned"]
    data: WarnedData


class WarningWithdrawnRecord(_Record):
    """A warning withdrawn."""

    type: Literal["WarningWithdrawn"]
    data: WarningWithdrawnData


class WarningResolvedRecord(_Record):
    """A warning resolved on evidence."""

    type: Literal["WarningResolved"]
    data: WarningResolvedData


class WarningDeadlineExtendedRecord(_Record):
    """A warning's deadline extended."""

    type: Literal["WarningDeadlineExtended"]
    data: WarningDeadlineExtendedData


class TerminatedRecord(_Record):
    """A termination for breach: final."""

    type: Literal["Terminated"]
    data: NoData


class SuspendedRecord(_Record):
    """Sales paused while the programme investigates."""

    type: Literal["Suspended"]
    data: NoData


class ReinstatedRecord(_Record):
    """A suspension lifted."""

    type: Literal["Reinstated"]
    data: NoData


class WithdrawnRecord(_Record):
    """The platform left the programme of its own accord: final, and not a breach."""

    type: Literal["Withdrawn"]
    data: NoData


class ObjectionLodgedRecord(_Record):
    """An objection (keberatan) lodged by the platform."""

    type: Literal["ObjectionLodged"]
    data: ObjectionLodgedData


class ObjectionDecidedRecord(_Record):
    """An objection upheld or dismissed."""

    type: Literal["ObjectionDecided"]
    data: ObjectionDecidedData


class CorrectedRecord(_Record):
    """A correction of an earlier event (which stays in the record as it was)."""

    type: Literal["Corrected"]
    data: CorrectedData


PublicRecord = (
    RegisteredRecord
    | DetailsAmendedRecord
    | EvaluatedRecord
    | WarnedRecord
    | WarningWithdrawnRecord
    | WarningResolvedRecord
    | WarningDeadlineExtendedRecord
    | SuspendedRecord
    | ReinstatedRecord
    | WithdrawnRecord
    | TerminatedRecord
    | ObjectionLodgedRecord
    | ObjectionDecidedRecord
    | CorrectedRecord
)
"""Who did what to which partner, when it was recorded and when it took effect.

Narrow on ``record["type"]`` to reach the data of one kind of event.
"""

_COMMON = frozenset(
    {"originator_id", "originator_version", "originator_topic", "timestamp"}
    | {"effective_date", "actor", "reason"}
)


def record_of(domain_event: Partner.Event) -> PublicRecord:
    """Flatten a stored partner event into its public record.

    A registration's declaration sits in the record's data beside nothing
    else, as it always has: how the store nests it is not the public shape.
    The event classes declare the data the record's types name; the cast
    states what the published schemas check on every record sent.
    """
    fields = dict(vars(domain_event))
    fields.update(fields.pop("platform", {}))
    record = {
        "partner_id": str(domain_event.originator_id),
        "version": domain_event.originator_version,
        "type": type(domain_event).__name__,
        "schema_version": SCHEMA_VERSION,
        "recorded_at": domain_event.timestamp.isoformat(),
        "effective_date": fields["effective_date"].isoformat(),
        "actor": fields["actor"],
        "reason": fields["reason"],
        "data": jsonable({k: v for k, v in fields.items() if k not in _COMMON}),
    }
    return cast(PublicRecord, record)


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
