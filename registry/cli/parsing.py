"""Turning command-line text into typed values, with messages that show the form."""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

import typer

from registry.domain.criteria import Criterion, CriterionFinding, ObligationCheck, Verdict
from registry.domain.exceptions import PartnerNotFoundError
from registry.service.application import PartnerRegistry

_Choice = TypeVar("_Choice", Criterion, Verdict)

CRITERION_FORM = "NAME=VERDICT:FINDING, e.g. technology=pass:'API integration live'"
OBLIGATION_FORM = "OBLIGATION=met|unmet:FINDING, e.g. 'monthly report=met:filed on time'"


def parse_criteria(specs: list[str]) -> dict[Criterion, CriterionFinding]:
    """Parse repeated --criterion options, refusing a criterion given twice."""
    criteria: dict[Criterion, CriterionFinding] = {}
    for spec in specs:
        name, verdict, finding = _split(spec, "--criterion", CRITERION_FORM)
        criterion = _choice(Criterion, name, "--criterion", "criterion")
        if criterion in criteria:
            raise typer.BadParameter(f"{criterion.value} is given twice", param_hint="--criterion")
        criteria[criterion] = CriterionFinding(
            verdict=_choice(Verdict, verdict, "--criterion", "verdict"), finding=finding
        )
    return criteria


def parse_obligations(specs: list[str]) -> list[ObligationCheck]:
    """Parse repeated --obligation options."""
    checks = []
    for spec in specs:
        obligation, state, finding = _split(spec, "--obligation", OBLIGATION_FORM)
        if state not in ("met", "unmet"):
            raise typer.BadParameter(
                f"{state!r} must be 'met' or 'unmet' in {spec!r}; use {OBLIGATION_FORM}",
                param_hint="--obligation",
            )
        checks.append(ObligationCheck(obligation=obligation, met=state == "met", finding=finding))
    return checks


def resolve_partner(registry: PartnerRegistry, reference: str) -> UUID:
    """Accept a partner's id or its name (any case or spacing)."""
    try:
        return UUID(reference)
    except ValueError:
        pass
    found = registry.find_by_name(reference)
    if found is None:
        raise PartnerNotFoundError(
            f"No partner is named {reference!r}; give a registered name or a "
            "partner id (see `partner-registry list`)."
        )
    return found.id


def _split(spec: str, option: str, form: str) -> tuple[str, str, str]:
    head, eq, finding_part = spec.partition("=")
    verdict, colon, finding = finding_part.partition(":")
    if not (eq and colon and head.strip() and finding.strip()):
        raise typer.BadParameter(f"{spec!r} is not of the form {form}", param_hint=option)
    return head.strip(), verdict.strip().lower(), finding.strip()


def _choice(kind: type[_Choice], value: str, option: str, what: str) -> _Choice:
    try:
        return kind(value.strip().lower())
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise typer.BadParameter(
            f"unknown {what} {value!r}; choose from {allowed}", param_hint=option
        ) from None
