"""The officers' forms as commands: each decision's fields, read strictly, and who may submit.

A form is plain text fields; this turns one into the same command the API
and the CLI build, so a decision taken in the browser is recorded exactly
as any other. A field that cannot be read (a date not written YYYY-MM-DD)
is a ``FieldError`` naming the field, shown next to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from registry.adapters.tokens import Actor, Permission
from registry.api.i18n import N_
from registry.domain.commands import (
    EvaluatePartner,
    RegisterPartner,
    TerminatePartner,
    WarnPartner,
)
from registry.domain.criteria import Criterion, CriterionFinding, ObligationCheck, Verdict
from registry.domain.decisions import Decision
from registry.domain.platforms import declaration
from registry.service.application import PartnerRegistry, Recorded

Form = Mapping[str, str]
OBLIGATION_ROWS = 3
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class FieldError(ValueError):
    """A field that cannot be read; ``field`` names it, the message says what to write."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class DecisionForm:
    """One decision's form: who may submit it, how it is recorded, whether it is confirmed first."""

    permission: Permission
    record: Callable[[PartnerRegistry, UUID, Form, Actor], Recorded]
    confirm: bool = False
    fields: tuple[str, ...] = ("reason", "effective_date")
    """The fields a refusal can be shown next to, the first being where the rest go."""


def day(form: Form, field: str) -> date | None:
    """A date written YYYY-MM-DD, or None when left empty."""
    return required_day(form, field) if form.get(field, "").strip() else None


def required_day(form: Form, field: str) -> date:
    """A date written YYYY-MM-DD (never a number read as a Unix time, never another order)."""
    text = form.get(field, "").strip()
    if not _DAY.match(text):
        raise FieldError(field, N_("Write the date as YYYY-MM-DD, e.g. 2026-12-31."))
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FieldError(field, N_("That day is not in the calendar.")) from None


def decision_of(form: Form, actor: Actor, today: date) -> Decision:
    """Who decided (the signed-in officer, never a field), why and from when."""
    return Decision(actor=actor.name, reason=form.get("reason", ""),
                    effective_date=day(form, "effective_date") or today)  # fmt: skip


def version_of(form: Form) -> int:
    """The partner's version the form was opened at: a stale decision is refused."""
    text = form.get("version", "")
    if not text.isdigit():
        raise FieldError("version", N_("The form lost the partner's version; open it again."))
    return int(text)


def register(registry: PartnerRegistry, form: Form, actor: Actor) -> Recorded:
    """Register a platform from the registration form."""
    declared: dict[str, Any] = {
        name: form.get(name, "").strip() or None
        for name in ("name", "legal_form", "legal_name", "registration_number", "website",
                     "commission_terms", "exemption_basis")
    }  # fmt: skip
    for flag in ("national_coverage", "technology_ready", "open_marketplace"):
        declared[flag] = form.get(flag) == "yes"
    platform = declaration(**declared)
    return registry.register(RegisterPartner(platform, decision_of(form, actor, registry.today())))


def _evaluate(registry: PartnerRegistry, partner: UUID, form: Form, actor: Actor) -> Recorded:
    criteria = {
        c: CriterionFinding(_verdict(form, c), form.get(f"finding_{c.value}", ""))
        for c in Criterion
        if form.get(f"verdict_{c.value}")
    }
    obligations = [
        ObligationCheck(
            form[f"obligation_{i}"],
            form.get(f"met_{i}") == "yes",
            form.get(f"obligation_finding_{i}", ""),
        )
        for i in range(OBLIGATION_ROWS)
        if form.get(f"obligation_{i}", "").strip()
    ]
    decided = decision_of(form, actor, registry.today())
    command = EvaluatePartner(partner, criteria, obligations, decided, version_of(form))
    return registry.evaluate(command)


def _verdict(form: Form, criterion: Criterion) -> Verdict:
    try:
        return Verdict(form[f"verdict_{criterion.value}"])
    except ValueError:
        raise FieldError(f"verdict_{criterion.value}", N_("Choose a verdict.")) from None


def _warn(registry: PartnerRegistry, partner: UUID, form: Form, actor: Actor) -> Recorded:
    subject = form.get("criterion", "")
    try:
        criterion = Criterion(subject) if subject else None
    except ValueError:
        raise FieldError("criterion", N_("Choose a criterion from the list.")) from None
    command = WarnPartner(
        partner, decision_of(form, actor, registry.today()),
        deadline=required_day(form, "deadline"),
        criterion=criterion, obligation=form.get("obligation", "").strip() or None,
        expected_version=version_of(form),
    )  # fmt: skip
    return registry.warn(command)


def _terminate(registry: PartnerRegistry, partner: UUID, form: Form, actor: Actor) -> Recorded:
    command = TerminatePartner(partner, decision_of(form, actor, registry.today()),
                               version_of(form))  # fmt: skip
    return registry.terminate(command)


DECISIONS: dict[str, DecisionForm] = {
    "evaluasi": DecisionForm(
        Permission.EVALUATE, _evaluate, fields=("reason", "effective_date", "criteria")
    ),
    "peringatan": DecisionForm(
        Permission.WARN, _warn, fields=("reason", "deadline", "criterion", "effective_date")
    ),
    "pemutusan": DecisionForm(Permission.TERMINATE, _terminate, confirm=True),
}
"""The decisions a partner's page offers, by the path segment of their form."""


def field_of(message: str, fields: tuple[str, ...]) -> str:
    """Which field a refusal concerns, by what it names; else the form's first field."""
    lowered = message.lower()
    named = {
        "deadline": "deadline", "effective date": "effective_date", "criteri": "criteria",
        "obligation": "criterion", "reason": "reason",
    }  # fmt: skip
    for word, field in named.items():
        if word in lowered and field in fields:
            return field
    return fields[0]
