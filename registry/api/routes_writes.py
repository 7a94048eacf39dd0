"""Writes: register, amend, evaluate, warn (and decide on warnings), suspend, end.

The actor is always the token's, never the body's.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

import structlog
from fastapi import APIRouter, Depends, Path, Response

from registry.adapters.tokens import Actor
from registry.api.deps import (
    Amender,
    Corrector,
    Evaluator,
    ExpectedVersion,
    ObjectionDecider,
    ObjectionRecorder,
    Registrar,
    ServicesDep,
    Suspender,
    Terminator,
    Warner,
    WithdrawalRecorder,
    json_body,
)
from registry.api.schemas import (
    AmendmentIn,
    CorrectionIn,
    DecisionIn,
    EvaluationIn,
    ExtensionIn,
    ObjectionDecisionIn,
    ObjectionIn,
    Problem,
    RecordedOut,
    RegisterIn,
    ResolutionIn,
    TerminationIn,
    WarningIn,
    WithdrawalIn,
)
from registry.api.services import Services
from registry.domain.commands import (
    AmendDetails,
    CorrectEvent,
    DecideObjection,
    EvaluatePartner,
    ExtendWarningDeadline,
    LodgeObjection,
    RegisterPartner,
    ReinstatePartner,
    ResolveWarning,
    SuspendPartner,
    TerminatePartner,
    WarnPartner,
    WithdrawPartner,
    WithdrawWarning,
)
from registry.domain.criteria import CriterionFinding, ObligationCheck
from registry.domain.decisions import Decision
from registry.service.application import Recorded

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/partners", tags=["record decisions"], dependencies=[Depends(json_body)])

_PROBLEM = {"model": Problem, "content": {"application/problem+json": {}}}
WRITE_ERRORS: dict[int | str, dict[str, object]] = {
    status: {**_PROBLEM, "description": text}
    for status, text in {
        400: "Malformed JSON or If-Match.",
        401: "No token, or an unknown or revoked one.",
        403: "The token's role may not do this.",
        404: "No such partner.",
        409: "Duplicate platform, terminated partner, or a concurrent change.",
        412: "If-Match names an older version, or is a weak tag.",
        413: "The body is too large.",
        415: "The body is not sent as JSON.",
        422: "The request or the decision breaks a rule of the register.",
        503: "The database cannot be reached.",
    }.items()
}


@router.post("", status_code=201, responses=WRITE_ERRORS)
def register_partner(
    body: RegisterIn, actor: Registrar, services: ServicesDep, response: Response
) -> RecordedOut:
    """Register a platform as a partner."""
    decision = _decision(services, actor, body.reason, body.effective_date)
    recorded = services.registry.register(RegisterPartner(body.platform(), decision))
    return _answer(services, recorded, response)


@router.post("/{partner_id}/amendments", status_code=201, responses=WRITE_ERRORS)
def amend_details(
    partner_id: UUID, body: AmendmentIn, actor: Amender, version: ExpectedVersion,
    services: ServicesDep, response: Response,
) -> RecordedOut:  # fmt: skip
    """Record changed details: public or legal name, registration number, website, commission."""
    command = AmendDetails(
        partner_id=partner_id,
        changes=body.changes(),
        decision=_decision(services, actor, body.reason, body.effective_date),
        expected_version=version,
    )
    return _answer(services, services.registry.amend_details(command), response)


@router.post("/{partner_id}/evaluations", status_code=201, responses=WRITE_ERRORS)
def evaluate_partner(
    partner_id: UUID, body: EvaluationIn, actor: Evaluator, version: ExpectedVersion,
    services: ServicesDep, response: Response,
) -> RecordedOut:  # fmt: skip
    """Record an evaluation against the four criteria and the agreement."""
    command = EvaluatePartner(
        partner_id=partner_id,
        criteria={c: CriterionFinding(f.verdict, f.finding) for c, f in body.criteria.items()},
        obligations=[ObligationCheck(o.obligation, o.met, o.finding) for o in body.obligations],
        decision=_decision(services, actor, body.reason, body.effective_date),
        expected_version=version,
    )
    return _answer(services, services.registry.evaluate(command), response)


@router.post("/{partner_id}/warnings", status_code=201, responses=WRITE_ERRORS)
def warn_partner(
    partner_id: UUID, body: WarningIn, actor: Warner, version: ExpectedVersion,
    services: ServicesDep, response: Response,
) -> RecordedOut:  # fmt: skip
    """Warn a partner of a breach, with a deadline to remedy it."""
    command = WarnPartner(
        partner_id=partner_id,
        decision=_decision(services, actor, body.reason, body.effective_date),
        deadline=body.deadline,
        criterion=body.criterion,
        obligation=body.obligation,
        expected_version=version,
    )
    return _answer(services, services.registry.warn(command), response)


WarningNumber = Annotated[int, Path(ge=1, le=1_000_000, description="The warning's number.")]


@router.post("/{partner_id}/warnings/{number}/withdrawal", status_code=201,
             responses=WRITE_ERRORS)  # fmt: skip
def withdraw_warning(
    partner_id: UUID, number: WarningNumber, body: WithdrawalIn, actor: Warner,
    version: ExpectedVersion, services: ServicesDep, response: Response,
) -> RecordedOut:  # fmt: skip
    """Withdraw an open warning issued in error (it was never a breach)."""
    command = WithdrawWarning(
        partner_id=partner_id, warning_number=number,
        decision=_decision(services, actor, body.reason, body.effective_date),
        expected_version=version,
    )  # fmt: skip
    return _answer(services, services.registry.withdraw_warning(command), response)


@router.post("/{partner_id}/warnings/{number}/resolution", status_code=201,
             responses=WRITE_ERRORS)  # fmt: skip
def resolve_warning(
    partner_id: UUID, number: WarningNumber, body: ResolutionIn, actor: Warner,
    version: ExpectedVersion, services: ServicesDep, response: Response,
) -> RecordedOut:  # fmt: skip
    """Close an open warning on evidence that the breach was remedied."""
    command = ResolveWarning(
        partner_id=partner_id, warning_number=number, evidence=body.evidence,
        decision=_decision(services, actor, body.reason, body.effective_date),
        expected_version=version,
    )  # fmt: skip
    return _answer(services, services.registry.resolve_warning(command), response)


@router.post("/{partner_id}/warnings/{number}/deadline-extension", status_code=201,
             responses=WRITE_ERRORS)  # fmt: skip
def extend_deadline(
    partner_id: UUID, number: WarningNumber, body: ExtensionIn, actor: Warner,
    version: ExpectedVersion, services: ServicesDep, response: Response,
) -> RecordedOut:  # fmt: skip
    """Give an open warning a later deadline (only ever later)."""
    command = ExtendWarningDeadline(
        partner_id=partner_id, warning_number=number, deadline=body.deadline,
        decision=_decision(services, actor, body.reason, body.effective_date),
        expected_version=version,
    )  # fmt: skip
    return _answer(services, services.registry.extend_deadline(command), response)


@router.post("/{partner_id}/suspension", status_code=201, responses=WRITE_ERRORS)
def suspend_partner(
    partner_id: UUID, body: DecisionIn, actor: Suspender, version: ExpectedVersion,
    services: ServicesDep, response: Response,
) -> RecordedOut:  # fmt: skip
    """Pause a partner's sales while the programme investigates (directors only)."""
    command = SuspendPartner(partner_id, _decision(services, actor, body.reason,
                                                   body.effective_date), version)  # fmt: skip
    return _answer(services, services.registry.suspend(command), response)


@router.post("/{partner_id}/reinstatement", status_code=201, responses=WRITE_ERRORS)
def reinstate_partner(
    partner_id: UUID, body: DecisionIn, actor: Suspender, version: ExpectedVersion,
    services: ServicesDep, response: Response,
) -> RecordedOut:  # fmt: skip
    """Lift a suspension (directors only)."""
    command = ReinstatePartner(partner_id, _decision(services, actor, body.reason,
                                                     body.effective_date), version)  # fmt: skip
    return _answer(services, services.registry.reinstate(command), response)


@router.post("/{partner_id}/withdrawal", status_code=201, responses=WRITE_ERRORS)
def withdraw_partner(
    partner_id: UUID, body: DecisionIn, actor: WithdrawalRecorder, version: ExpectedVersion,
    services: ServicesDep, response: Response,
) -> RecordedOut:  # fmt: skip
    """Record that the platform left the programme of its own accord (final; not a breach)."""
    command = WithdrawPartner(partner_id, _decision(services, actor, body.reason,
                                                    body.effective_date), version)  # fmt: skip
    return _answer(services, services.registry.withdraw(command), response)


@router.post("/{partner_id}/termination", status_code=201, responses=WRITE_ERRORS)
def terminate_partner(
    partner_id: UUID, body: TerminationIn, actor: Terminator, version: ExpectedVersion,
    services: ServicesDep, response: Response,
) -> RecordedOut:  # fmt: skip
    """Terminate a partnership (directors only; final)."""
    command = TerminatePartner(
        partner_id=partner_id,
        decision=_decision(services, actor, body.reason, body.effective_date),
        expected_version=version,
    )
    return _answer(services, services.registry.terminate(command), response)


@router.post("/{partner_id}/objections", status_code=201, responses=WRITE_ERRORS)
def lodge_objection(
    partner_id: UUID, body: ObjectionIn, actor: ObjectionRecorder, version: ExpectedVersion,
    services: ServicesDep, response: Response,
) -> RecordedOut:  # fmt: skip
    """Record the platform's objection to a warning, suspension or termination (in its window)."""
    command = LodgeObjection(
        partner_id=partner_id,
        against_version=body.against_version,
        decision=_decision(services, actor, body.reason, body.effective_date),
        expected_version=version,
    )
    return _answer(services, services.registry.lodge_objection(command), response)


ObjectionNumber = Annotated[int, Path(ge=1, le=1_000_000, description="The objection's number.")]


@router.post("/{partner_id}/objections/{number}/decision", status_code=201,
             responses=WRITE_ERRORS)  # fmt: skip
def decide_objection(
    partner_id: UUID, number: ObjectionNumber, body: ObjectionDecisionIn,
    actor: ObjectionDecider, version: ExpectedVersion, services: ServicesDep, response: Response,
) -> RecordedOut:  # fmt: skip
    """Uphold or dismiss an objection (directors); upheld, it undoes the decision if in force."""
    command = DecideObjection(
        partner_id=partner_id,
        objection_number=number,
        upheld=body.outcome == "upheld",
        decision=_decision(services, actor, body.reason, body.effective_date),
        expected_version=version,
    )
    return _answer(services, services.registry.decide_objection(command), response)


EventVersion = Annotated[int, Path(ge=1, le=1_000_000, description="The event's version.")]


@router.post("/{partner_id}/events/{version}/correction", status_code=201,
             responses=WRITE_ERRORS)  # fmt: skip
def correct_event(
    partner_id: UUID, version: EventVersion, body: CorrectionIn, actor: Corrector,
    expected: ExpectedVersion, services: ServicesDep, response: Response,
) -> RecordedOut:  # fmt: skip
    """Record what an earlier event should have said; the event itself stays in the record."""
    command = CorrectEvent(
        partner_id=partner_id, version=version,
        changes={str(k): v for k, v in body.changes.items()}, actor=actor.name,
        reason=body.reason, expected_version=expected,
    )  # fmt: skip
    return _answer(services, services.registry.correct(command), response)


def _decision(services: Services, actor: Actor, reason: str, effective: date | None) -> Decision:
    return Decision(
        actor=actor.name, reason=reason, effective_date=effective or services.registry.today()
    )


def _answer(services: Services, recorded: Recorded, response: Response) -> RecordedOut:
    services.metrics.events.labels(type=recorded.event["type"]).inc()
    response.headers["Location"] = f"/partners/{recorded.partner_id}"
    response.headers["ETag"] = f'"{recorded.version}"'
    return RecordedOut(
        partner_id=recorded.partner_id,
        version=recorded.version,
        position=recorded.position,
        event=recorded.event,
    )
