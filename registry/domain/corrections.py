"""Corrections: a later event that says what an earlier one should have said.

Events are never edited. An officer who typed a wrong registration number
or deadline records a correction naming the event (by its version), the
fields it changes and why; the original stays in the record, and every view
shows the corrected fact with a note. A correction of a correction changes
the same fact again.

A correction is checked against the partner's history as corrected so far
(the facts below), so that the corrected record still keeps every rule an
event had to keep when it was recorded: a deadline after the warning took
effect and an extension later than the deadline it extends; clean, eligible
details.

An effective date is not corrected: when an event counts on a date is the
ground every point-in-time view stands on (``projections/point_in_time.py``),
so a correction takes effect with the fact it corrects and never moves it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from registry.domain.exceptions import InvalidCorrectionError, Term
from registry.domain.platforms import Declaration, checked_platform
from registry.domain.text import require_text

REGISTRATION_DETAILS = ("name", "legal_name", "registration_number", "website", "commission_terms")
CORRIGIBLE: dict[str, frozenset[str]] = {
    "Registered": frozenset({*REGISTRATION_DETAILS, "reason"}),
    "Warned": frozenset({"deadline", "reason"}),
    "WarningDeadlineExtended": frozenset({"deadline", "reason"}),
}
"""The fields each event type may have corrected; any other event's reason only."""
DATES = frozenset({"deadline"})


@dataclass
class Fact:
    """One recorded event as corrected so far: what a correction may change."""

    version: int
    type: str
    effective_date: date
    values: dict[str, Any]
    warning_number: int | None = None
    corrects: int | None = None
    """For a correction: the version of the fact it corrected."""


@dataclass(frozen=True)
class Correction:
    """What a correction event records: the fact corrected, the new and the previous values."""

    corrected_version: int
    corrected_type: str
    fact_version: int
    fact_type: str
    warning_number: int | None
    changes: dict[str, str | None]
    previous: dict[str, str | None]
    effective_date: date


def planned(facts: Mapping[int, Fact], version: int, changes: Mapping[str, object]) -> Correction:
    """The correction of event ``version`` by ``changes``, or the rule it would break."""
    corrected = facts.get(version)
    if corrected is None:
        raise InvalidCorrectionError("There is no event %(version)s to correct.", version=version)
    fact = facts[corrected.corrects] if corrected.corrects is not None else corrected
    allowed = _allowed(corrected, fact)
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise InvalidCorrectionError(
            "Event %(version)s (%(type)s) has no %(unknown)s to correct; it can be corrected "
            "in: %(allowed)s.",
            version=version, type=corrected.type, unknown=", ".join(unknown),
            allowed=", ".join(sorted(allowed)),
        )  # fmt: skip
    cleaned = {field: _cleaned(field, value) for field, value in changes.items()}
    if fact.type == "Registered":
        cleaned = _as_registered(fact, cleaned)
    new = {k: v for k, v in cleaned.items() if v != fact.values.get(k)}
    if not new:
        raise InvalidCorrectionError(
            "The correction changes nothing in event %(version)s.", version=version
        )
    if "deadline" in new:
        _check_deadline(facts, fact, date.fromisoformat(cast(str, new["deadline"])))
    return Correction(
        corrected_version=version, corrected_type=corrected.type, fact_version=fact.version,
        fact_type=fact.type, warning_number=fact.warning_number, changes=new,
        previous={k: fact.values.get(k) for k in new}, effective_date=fact.effective_date,
    )  # fmt: skip


def _allowed(corrected: Fact, fact: Fact) -> frozenset[str]:
    if corrected.corrects is not None:
        return frozenset(corrected.values)
    return CORRIGIBLE.get(fact.type, frozenset({"reason"}))


def _cleaned(field: str, value: object) -> str | None:
    if field in DATES:
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise InvalidCorrectionError(
                "The %(field)s must be a date, YYYY-MM-DD.", field=Term(field.replace("_", " "))
            ) from None
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidCorrectionError(
            "The %(field)s must be text.", field=Term(field.replace("_", " "))
        )
    return require_text(field.replace("_", " "), value) if field == "reason" else value


def _as_registered(fact: Fact, cleaned: dict[str, str | None]) -> dict[str, str | None]:
    """The corrected details as the registration would have recorded them, if it could have."""
    details = {k: v for k, v in cleaned.items() if k in REGISTRATION_DETAILS}
    if not details:
        return cleaned
    declared = {k: v for k, v in fact.values.items() if k != "reason"}
    registered = checked_platform(cast(Declaration, declared | details))
    return cleaned | {k: registered[k] for k in details}  # type: ignore[literal-required]


def _check_deadline(facts: Mapping[int, Fact], fact: Fact, deadline: date) -> None:
    """A deadline stays after the warning took effect and between the extensions around it."""
    same = sorted(
        (
            f
            for f in facts.values()
            if f.corrects is None and f.warning_number == fact.warning_number
        ),
        key=lambda f: f.version,
    )
    before = [f for f in same if f.version < fact.version]
    after = [f for f in same if f.version > fact.version and f.type == "WarningDeadlineExtended"]
    floor = date.fromisoformat(cast(str, before[-1].values["deadline"])) if before else None
    floor = floor or fact.effective_date
    ceiling = date.fromisoformat(cast(str, after[0].values["deadline"])) if after else None
    where = {"number": fact.warning_number, "version": fact.version, "deadline": deadline}
    if ceiling is not None and not floor < deadline < ceiling:
        raise InvalidCorrectionError(
            "Warning #%(number)s's deadline in event %(version)s must be after %(floor)s and "
            "before %(ceiling)s, the extension that follows; %(deadline)s is not.",
            floor=floor,
            ceiling=ceiling,
            **where,
        )
    if deadline <= floor:
        raise InvalidCorrectionError(
            "Warning #%(number)s's deadline in event %(version)s must be after %(floor)s; "
            "%(deadline)s is not.",
            floor=floor,
            **where,
        )


def fact_of(version: int, kind: str, event: Any) -> Fact:
    """The correctable fact an event records (``event`` is a partner event)."""
    values: dict[str, Any] = {"reason": event.reason}
    if kind == "Registered":
        values |= dict(event.platform)
    if kind in ("Warned", "WarningDeadlineExtended"):
        values["deadline"] = event.deadline.isoformat()
    return Fact(version, kind, event.effective_date, values,
                warning_number=getattr(event, "warning_number", None))  # fmt: skip


def corrected_facts(facts: dict[int, Fact], version: int, event: Any) -> None:
    """Add a correction to the facts: the fact it corrects now says the new values."""
    fact = facts[event.fact_version]
    fact.values |= event.changes
    corrected = facts[event.corrected_version]
    if corrected.corrects is not None:
        corrected.values |= event.changes
    facts[version] = Fact(version, "Corrected", fact.effective_date, dict(event.changes),
                          corrects=event.fact_version)  # fmt: skip
