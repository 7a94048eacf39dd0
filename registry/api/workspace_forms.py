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
    AmendDetails,
    CorrectEvent,
    DecideObjection,
    EvaluatePartner,
    ExtendWarningDeadline,
    LodgeObjection,
    RecordRuleSet,
    RegisterPartner,
    ReinstatePartner,
    ResolveWarning,
    SuspendPartner,
    TerminatePartner,
    WarnPartner,
    WithdrawPartner,
    WithdrawWarning,
)
from registry.domain.criteria import Criterion, CriterionFinding, ObligationCheck, Verdict
from registry.domain.decisions import Decision
from registry.domain.platforms import declaration
from registry.domain.rules import RuleSet
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
class Input:
    """One field of a simple decision's form, drawn by the partner's page."""

    name: str
    label: str
    kind: str = "text"
    """text, number (a count from 1), date (YYYY-MM-DD) or select (``choices``)."""
    choices: tuple[str, ...] = ()
    words: str = ""
    """Which of the catalogue's coded words names the choices (``registry/api/i18n.py``)."""
    required: bool = True


@dataclass(frozen=True)
class DecisionForm:
    """One decision's form: who may submit it, how it is recorded, whether it is confirmed first.

    A form with ``inputs`` is drawn from them (with the reason and, where
    ``effective``, the effective date); the others have markup of their own.
    """

    permission: Permission
    record: Callable[[PartnerRegistry, UUID, Form, Actor], Recorded]
    confirm: bool = False
    fields: tuple[str, ...] = ("reason", "effective_date")
    """The fields a refusal can be shown next to, the first being where the rest go."""
    title: str = ""
    button: str = ""
    inputs: tuple[Input, ...] = ()
    effective: bool = True


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


def record_rule_set(registry: PartnerRegistry, form: Form, actor: Actor) -> int:
    """Record a rule set from its form: a citation left empty is one the source does not give."""
    rules = RuleSet(
        identifier=form.get("identifier", ""), title=form.get("title", ""),
        in_force_from=required_day(form, "in_force_from"),
        citations={c: form.get(f"citation_{c.value}", "").strip() or None for c in Criterion},
    )  # fmt: skip
    return registry.record_rule_set(
        RecordRuleSet(rules, decision_of(form, actor, registry.today()))
    )


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


def number(form: Form, field: str) -> int:
    """A count from 1 (a warning's, an objection's or an event's number)."""
    text = form.get(field, "").strip()
    if not text.isdigit() or int(text) < 1:
        raise FieldError(field, N_("Write a number from 1."))
    return int(text)


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


def _withdraw_warning(
    registry: PartnerRegistry, partner: UUID, form: Form, actor: Actor
) -> Recorded:
    return registry.withdraw_warning(WithdrawWarning(
        partner, number(form, "warning_number"), decision_of(form, actor, registry.today()),
        version_of(form),
    ))  # fmt: skip


def _resolve(registry: PartnerRegistry, partner: UUID, form: Form, actor: Actor) -> Recorded:
    return registry.resolve_warning(ResolveWarning(
        partner, number(form, "warning_number"), form.get("evidence", ""),
        decision_of(form, actor, registry.today()), version_of(form),
    ))  # fmt: skip


def _extend(registry: PartnerRegistry, partner: UUID, form: Form, actor: Actor) -> Recorded:
    return registry.extend_deadline(ExtendWarningDeadline(
        partner, number(form, "warning_number"), required_day(form, "deadline"),
        decision_of(form, actor, registry.today()), version_of(form),
    ))  # fmt: skip


def _plain(
    command: type[SuspendPartner] | type[ReinstatePartner] | type[WithdrawPartner],
    method: Callable[[PartnerRegistry, Any], Recorded],
) -> Callable[[PartnerRegistry, UUID, Form, Actor], Recorded]:
    def record(registry: PartnerRegistry, partner: UUID, form: Form, actor: Actor) -> Recorded:
        decided = decision_of(form, actor, registry.today())
        return method(registry, command(partner, decided, version_of(form)))

    return record


_DETAILS = ("name", "legal_name", "registration_number", "website", "commission_terms")


def _amend(registry: PartnerRegistry, partner: UUID, form: Form, actor: Actor) -> Recorded:
    """Filled fields are the new values; a detail ticked to clear is no longer given."""
    changes: dict[str, str | None] = {
        k: form[k].strip() for k in _DETAILS if form.get(k, "").strip()
    }
    changes |= {k: None for k in _DETAILS if form.get(f"clear_{k}") == "yes"}
    return registry.amend_details(AmendDetails(
        partner, changes, decision_of(form, actor, registry.today()), version_of(form)
    ))  # fmt: skip


def _correct(registry: PartnerRegistry, partner: UUID, form: Form, actor: Actor) -> Recorded:
    field = form.get("field", "")
    return registry.correct(CorrectEvent(
        partner, number(form, "event_version"), {field: form.get("value", "")}, actor.name,
        form.get("reason", ""), version_of(form),
    ))  # fmt: skip


def _object(registry: PartnerRegistry, partner: UUID, form: Form, actor: Actor) -> Recorded:
    return registry.lodge_objection(LodgeObjection(
        partner, number(form, "against_version"), decision_of(form, actor, registry.today()),
        version_of(form),
    ))  # fmt: skip


def _decide(registry: PartnerRegistry, partner: UUID, form: Form, actor: Actor) -> Recorded:
    outcome = form.get("outcome", "")
    if outcome not in ("upheld", "dismissed"):
        raise FieldError("outcome", N_("Choose upheld or dismissed."))
    return registry.decide_objection(DecideObjection(
        partner, number(form, "objection_number"), outcome == "upheld",
        decision_of(form, actor, registry.today()), version_of(form),
    ))  # fmt: skip


_WARNING = Input("warning_number", N_("Warning number"), "number")
_CORRECTABLE = (*_DETAILS, "deadline", "reason")


DECISIONS: dict[str, DecisionForm] = {
    "evaluasi": DecisionForm(
        Permission.EVALUATE, _evaluate, fields=("reason", "effective_date", "criteria")
    ),
    "peringatan": DecisionForm(
        Permission.WARN, _warn, fields=("reason", "deadline", "criterion", "effective_date")
    ),
    "pemutusan": DecisionForm(Permission.TERMINATE, _terminate, confirm=True),
    "penyelesaian-peringatan": DecisionForm(
        Permission.WARN,
        _resolve,
        fields=("reason", "warning_number", "evidence"),
        title=N_("Resolve a warning on evidence"),
        button=N_("Record the resolution"),
        inputs=(_WARNING, Input("evidence", N_("Evidence that the breach was remedied"))),
    ),
    "perpanjangan-tenggat": DecisionForm(
        Permission.WARN,
        _extend,
        fields=("reason", "warning_number", "deadline"),
        title=N_("Extend a warning's deadline"),
        button=N_("Record the extension"),
        inputs=(_WARNING, Input("deadline", N_("New deadline (YYYY-MM-DD)"), "date")),
    ),
    "penarikan-peringatan": DecisionForm(
        Permission.WARN,
        _withdraw_warning,
        fields=("reason", "warning_number"),
        title=N_("Withdraw a warning issued in error"),
        button=N_("Record the withdrawal of the warning"),
        inputs=(_WARNING,),
    ),
    "penangguhan": DecisionForm(
        Permission.SUSPEND,
        _plain(SuspendPartner, PartnerRegistry.suspend),
        title=N_("Suspend sales while the programme investigates"),
        button=N_("Record the suspension"),
    ),
    "pemulihan": DecisionForm(
        Permission.SUSPEND,
        _plain(ReinstatePartner, PartnerRegistry.reinstate),
        title=N_("Lift the suspension"),
        button=N_("Record the reinstatement"),
    ),
    "perubahan-data": DecisionForm(
        Permission.AMEND,
        _amend,
        fields=("reason", *_DETAILS),
        title=N_("Amend the platform's details"),
        button=N_("Record the amendment"),
        inputs=tuple(
            Input(k, label, required=False)
            for k, label in (
                ("name", N_("New name")),
                ("legal_name", N_("New legal name")),
                ("registration_number", N_("New registration number")),
                ("website", N_("New website")),
                ("commission_terms", N_("New commission terms")),
            )
        ),
    ),
    "koreksi": DecisionForm(
        Permission.CORRECT,
        _correct,
        fields=("reason", "event_version", "value"),
        title=N_("Correct an earlier event"),
        button=N_("Record the correction"),
        inputs=(
            Input("event_version", N_("The event's version"), "number"),
            Input("field", N_("The field it got wrong"), "select", _CORRECTABLE, "field"),
            Input("value", N_("What it should have said")),
        ),
        effective=False,
    ),
    "keberatan": DecisionForm(
        Permission.LODGE_OBJECTION,
        _object,
        fields=("reason", "against_version"),
        title=N_("Lodge the platform's objection"),
        button=N_("Record the objection"),
        inputs=(Input("against_version", N_("The version of the decision objected to"), "number"),),
    ),
    "putusan-keberatan": DecisionForm(
        Permission.DECIDE_OBJECTION,
        _decide,
        fields=("reason", "objection_number", "outcome"),
        title=N_("Decide an objection"),
        button=N_("Record the decision"),
        inputs=(
            Input("objection_number", N_("Objection number"), "number"),
            Input("outcome", N_("Outcome"), "select", ("upheld", "dismissed"), "outcome"),
        ),
    ),
    "pengunduran-diri": DecisionForm(
        Permission.RECORD_WITHDRAWAL,
        _plain(WithdrawPartner, PartnerRegistry.withdraw),
        confirm=True,
        title=N_("Record that the platform leaves the programme"),
        button=N_("Continue to confirm the withdrawal"),
    ),
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
