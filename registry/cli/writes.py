"""Commands that record decisions: register, amend, evaluate, warn, suspend, end, seed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

import typer

from registry.cli.app import app, open_registry
from registry.cli.json_output import AsJson
from registry.cli.output import show_recorded, show_seed
from registry.cli.parsing import (
    CRITERION_FORM,
    OBLIGATION_FORM,
    parse_criteria,
    parse_obligations,
    resolve_partner,
)
from registry.cli.platform_options import declaration_of, with_platform_options
from registry.domain.commands import (
    AmendDetails,
    CorrectEvent,
    DecideObjection,
    EvaluatePartner,
    ExtendWarningDeadline,
    LodgeObjection,
    PartnerDecision,
    RegisterPartner,
    ReinstatePartner,
    ResolveWarning,
    SuspendPartner,
    TerminatePartner,
    WarnPartner,
    WithdrawPartner,
    WithdrawWarning,
)
from registry.domain.criteria import Criterion
from registry.domain.decisions import Decision
from registry.domain.partner import AMENDABLE
from registry.service.application import PartnerRegistry, Recorded
from registry.service.seed import seed as seed_register

Actor = Annotated[
    str,
    typer.Option(
        envvar="REGISTRY_ACTOR",
        metavar="NAME",
        help="Who decides (recorded in the event).",
    ),
]
Reason = Annotated[str, typer.Option(metavar="TEXT", help="Why (recorded in the event).")]
EffectiveDate = Annotated[
    datetime | None,
    typer.Option(
        formats=["%Y-%m-%d"],
        metavar="YYYY-MM-DD",
        help="When the decision took effect [default: today].",
    ),
]
ExpectedVersion = Annotated[
    int | None,
    typer.Option(
        min=1,
        metavar="VERSION",
        help="Refuse unless the partner is still at this version.",
    ),
]
PartnerRef = Annotated[str, typer.Argument(metavar="PARTNER", help="The partner's id or name.")]


def _decision(actor: str, reason: str, effective: datetime | None, today: date) -> Decision:
    return Decision(
        actor=actor,
        reason=reason,
        effective_date=effective.date() if effective is not None else today,
    )


@app.command()
@with_platform_options
def register(
    ctx: typer.Context,
    actor: Actor,
    reason: Reason,
    effective_date: EffectiveDate = None,
    as_json: AsJson = False,
    **declared: Any,
) -> None:
    """Register a platform as a partner."""
    platform = declaration_of(declared)
    with open_registry(ctx) as registry:
        decision = _decision(actor, reason, effective_date, registry.today())
        show_recorded(registry.register(RegisterPartner(platform, decision)), as_json)


@app.command()
def evaluate(
    ctx: typer.Context,
    partner: PartnerRef,
    criterion: Annotated[
        list[str],
        typer.Option(metavar="SPEC", help=f"One per criterion, all four: {CRITERION_FORM}."),
    ],
    actor: Actor,
    reason: Reason,
    obligation: Annotated[
        list[str] | None,
        typer.Option(metavar="SPEC", help=f"Repeatable: {OBLIGATION_FORM}."),
    ] = None,
    effective_date: EffectiveDate = None,
    expected_version: ExpectedVersion = None,
    as_json: AsJson = False,
) -> None:
    """Record an evaluation against the four criteria and the agreement."""
    criteria = parse_criteria(criterion)
    obligations = parse_obligations(obligation or [])
    with open_registry(ctx) as registry:
        command = EvaluatePartner(
            partner_id=resolve_partner(registry, partner),
            criteria=criteria,
            obligations=obligations,
            decision=_decision(actor, reason, effective_date, registry.today()),
            expected_version=expected_version,
        )
        show_recorded(registry.evaluate(command), as_json)


@app.command()
def warn(
    ctx: typer.Context,
    partner: PartnerRef,
    deadline: Annotated[
        datetime,
        typer.Option(metavar="YYYY-MM-DD", formats=["%Y-%m-%d"], help="Date by which to remedy."),
    ],
    actor: Actor,
    reason: Annotated[str, typer.Option(metavar="TEXT", help="The breach found (recorded).")],
    criterion: Annotated[Criterion | None, typer.Option(help="The criterion breached.")] = None,
    obligation: Annotated[
        str | None, typer.Option(metavar="TEXT", help="The obligation breached.")
    ] = None,
    effective_date: EffectiveDate = None,
    expected_version: ExpectedVersion = None,
    as_json: AsJson = False,
) -> None:
    """Warn a partner of a breach, with a deadline to remedy it."""
    with open_registry(ctx) as registry:
        command = WarnPartner(
            partner_id=resolve_partner(registry, partner),
            decision=_decision(actor, reason, effective_date, registry.today()),
            deadline=deadline.date(),
            criterion=criterion,
            obligation=obligation,
            expected_version=expected_version,
        )
        show_recorded(registry.warn(command), as_json)


WarningNumber = Annotated[
    int, typer.Argument(min=1, metavar="NUMBER", help="The warning's number.")
]


@app.command("withdraw-warning")
def withdraw_warning(
    ctx: typer.Context,
    partner: PartnerRef,
    number: WarningNumber,
    actor: Actor,
    reason: Annotated[str, typer.Option(metavar="TEXT", help="Why it was issued in error.")],
    effective_date: EffectiveDate = None,
    expected_version: ExpectedVersion = None,
    as_json: AsJson = False,
) -> None:
    """Withdraw an open warning issued in error (it was never a breach)."""
    with open_registry(ctx) as registry:
        command = WithdrawWarning(
            partner_id=resolve_partner(registry, partner),
            warning_number=number,
            decision=_decision(actor, reason, effective_date, registry.today()),
            expected_version=expected_version,
        )
        show_recorded(registry.withdraw_warning(command), as_json)


@app.command("resolve-warning")
def resolve_warning(
    ctx: typer.Context,
    partner: PartnerRef,
    number: WarningNumber,
    evidence: Annotated[str, typer.Option(metavar="TEXT", help="What shows it was remedied.")],
    actor: Actor,
    reason: Reason,
    effective_date: EffectiveDate = None,
    expected_version: ExpectedVersion = None,
    as_json: AsJson = False,
) -> None:
    """Close an open warning on evidence that the breach was remedied."""
    with open_registry(ctx) as registry:
        command = ResolveWarning(
            partner_id=resolve_partner(registry, partner),
            warning_number=number,
            evidence=evidence,
            decision=_decision(actor, reason, effective_date, registry.today()),
            expected_version=expected_version,
        )
        show_recorded(registry.resolve_warning(command), as_json)


@app.command("extend-deadline")
def extend_deadline(
    ctx: typer.Context,
    partner: PartnerRef,
    number: WarningNumber,
    deadline: Annotated[
        datetime,
        typer.Option(metavar="YYYY-MM-DD", formats=["%Y-%m-%d"], help="The new, later deadline."),
    ],
    actor: Actor,
    reason: Reason,
    effective_date: EffectiveDate = None,
    expected_version: ExpectedVersion = None,
    as_json: AsJson = False,
) -> None:
    """Give an open warning a later deadline to remedy the breach."""
    with open_registry(ctx) as registry:
        command = ExtendWarningDeadline(
            partner_id=resolve_partner(registry, partner),
            warning_number=number,
            deadline=deadline.date(),
            decision=_decision(actor, reason, effective_date, registry.today()),
            expected_version=expected_version,
        )
        show_recorded(registry.extend_deadline(command), as_json)


@app.command()
def terminate(
    ctx: typer.Context, partner: PartnerRef, actor: Actor, reason: Reason,
    effective_date: EffectiveDate = None, expected_version: ExpectedVersion = None,
    as_json: AsJson = False,
) -> None:  # fmt: skip
    """Terminate a partnership for breach (directors; final; it stays in the public record)."""
    _decide(ctx, TerminatePartner, PartnerRegistry.terminate, partner, actor, reason,
            effective_date, expected_version, as_json)  # fmt: skip


@app.command()
def suspend(
    ctx: typer.Context, partner: PartnerRef, actor: Actor, reason: Reason,
    effective_date: EffectiveDate = None, expected_version: ExpectedVersion = None,
    as_json: AsJson = False,
) -> None:  # fmt: skip
    """Pause a partner's sales while the programme investigates (directors)."""
    _decide(ctx, SuspendPartner, PartnerRegistry.suspend, partner, actor, reason,
            effective_date, expected_version, as_json)  # fmt: skip


@app.command()
def reinstate(
    ctx: typer.Context, partner: PartnerRef, actor: Actor, reason: Reason,
    effective_date: EffectiveDate = None, expected_version: ExpectedVersion = None,
    as_json: AsJson = False,
) -> None:  # fmt: skip
    """Lift a partner's suspension (directors)."""
    _decide(ctx, ReinstatePartner, PartnerRegistry.reinstate, partner, actor, reason,
            effective_date, expected_version, as_json)  # fmt: skip


@app.command()
def withdraw(
    ctx: typer.Context, partner: PartnerRef, actor: Actor,
    reason: Annotated[str, typer.Option(metavar="TEXT", help="The platform's reason for leaving.")],
    effective_date: EffectiveDate = None, expected_version: ExpectedVersion = None,
    as_json: AsJson = False,
) -> None:  # fmt: skip
    """Record that the platform left the programme of its own accord (final; not a breach)."""
    _decide(ctx, WithdrawPartner, PartnerRegistry.withdraw, partner, actor, reason,
            effective_date, expected_version, as_json)  # fmt: skip


def _decide(
    ctx: typer.Context, command_type: type[PartnerDecision],
    record: Callable[[PartnerRegistry, Any], Recorded], partner: str, actor: str,
    reason: str, effective_date: datetime | None, expected_version: int | None, as_json: bool,
) -> None:  # fmt: skip
    """Record a decision that needs nothing but the partner, who, why and from when."""
    with open_registry(ctx) as registry:
        command = command_type(
            partner_id=resolve_partner(registry, partner),
            decision=_decision(actor, reason, effective_date, registry.today()),
            expected_version=expected_version,
        )
        show_recorded(record(registry, command), as_json)


@app.command("lodge-objection")
def lodge_objection(
    ctx: typer.Context, partner: PartnerRef,
    against: Annotated[int, typer.Argument(
        min=1, metavar="VERSION", help="The warning, suspension or termination's version."
    )],
    actor: Actor,
    reason: Annotated[str, typer.Option(metavar="TEXT", help="The platform's grounds.")],
    effective_date: EffectiveDate = None, expected_version: ExpectedVersion = None,
    as_json: AsJson = False,
) -> None:  # fmt: skip
    """Record the platform's objection (keberatan) to a warning, suspension or termination."""
    with open_registry(ctx) as registry:
        command = LodgeObjection(
            partner_id=resolve_partner(registry, partner),
            against_version=against,
            decision=_decision(actor, reason, effective_date, registry.today()),
            expected_version=expected_version,
        )
        show_recorded(registry.lodge_objection(command), as_json)


@app.command("decide-objection")
def decide_objection(
    ctx: typer.Context, partner: PartnerRef,
    number: Annotated[int, typer.Argument(min=1, metavar="NUMBER", help="The objection's number.")],
    upheld: Annotated[bool, typer.Option("--upheld/--dismissed", help="The outcome.")],
    actor: Actor, reason: Reason,
    effective_date: EffectiveDate = None, expected_version: ExpectedVersion = None,
    as_json: AsJson = False,
) -> None:  # fmt: skip
    """Uphold or dismiss an objection (directors); upheld, it undoes the decision if in force."""
    with open_registry(ctx) as registry:
        command = DecideObjection(
            partner_id=resolve_partner(registry, partner),
            objection_number=number,
            upheld=upheld,
            decision=_decision(actor, reason, effective_date, registry.today()),
            expected_version=expected_version,
        )
        show_recorded(registry.decide_objection(command), as_json)


@app.command()
def correct(
    ctx: typer.Context, partner: PartnerRef,
    version: Annotated[int, typer.Argument(min=1, metavar="VERSION",
                                           help="The version of the event to correct.")],
    field: Annotated[list[str], typer.Option(
        "--set", metavar="FIELD=VALUE", help="A field's right value (repeat for each).")],
    actor: Actor, reason: Reason,
    expected_version: ExpectedVersion = None, as_json: AsJson = False,
) -> None:  # fmt: skip
    """Record what an earlier event should have said; the event itself stays in the record."""
    changes: dict[str, object] = {}
    for given in field:
        name, sign, value = given.partition("=")
        if not sign or not name.strip():
            raise typer.BadParameter(f"{given!r} is not FIELD=VALUE.", param_hint="--set")
        changes[name.strip()] = value
    with open_registry(ctx) as registry:
        command = CorrectEvent(partner_id=resolve_partner(registry, partner), version=version,
                               changes=changes, actor=actor, reason=reason,
                               expected_version=expected_version)  # fmt: skip
        show_recorded(registry.correct(command), as_json)


Detail = Annotated[str | None, typer.Option(metavar="TEXT", help="The new value.")]


@app.command()
def amend(
    ctx: typer.Context, partner: PartnerRef, actor: Actor, reason: Reason,
    name: Detail = None, legal_name: Detail = None, registration_number: Detail = None,
    website: Detail = None, commission_terms: Detail = None,
    clear: Annotated[
        list[str] | None,
        typer.Option(metavar="FIELD", help="A detail no longer given (repeat for each)."),
    ] = None,
    effective_date: EffectiveDate = None, expected_version: ExpectedVersion = None,
    as_json: AsJson = False,
) -> None:  # fmt: skip
    """Record changed details: public or legal name, registration number, website, commission."""
    given = {"name": name, "legal_name": legal_name, "registration_number": registration_number,
             "website": website, "commission_terms": commission_terms}  # fmt: skip
    changes: dict[str, str | None] = {k: v for k, v in given.items() if v is not None}
    for field in clear or []:
        if field not in AMENDABLE or field in changes:
            raise typer.BadParameter(
                f"{field!r} cannot be cleared here; name one of {', '.join(AMENDABLE)} "
                "that is not also given a new value.", param_hint="--clear",
            )  # fmt: skip
        changes[field] = None
    with open_registry(ctx) as registry:
        command = AmendDetails(
            partner_id=resolve_partner(registry, partner),
            changes=changes,
            decision=_decision(actor, reason, effective_date, registry.today()),
            expected_version=expected_version,
        )
        show_recorded(registry.amend_details(command), as_json)


@app.command()
def seed(ctx: typer.Context, as_json: AsJson = False) -> None:
    """Record the eight platforms of the 27 April 2020 report (idempotent)."""
    with open_registry(ctx) as registry:
        show_seed(seed_register(registry), as_json)
