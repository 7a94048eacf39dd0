"""The eligibility criteria every partner platform is held to, and their results.

The four criteria come from the programme's rules (legal entity, national
coverage, technology, open marketplace). Only the legal-entity criterion can
be met by a recorded exemption, because that is the only rule the programme
itself has been seen to waive (the Ministry of Manpower's own site).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from registry.domain.exceptions import (
    IncompleteEvaluationError,
    InvalidCommandError,
    Term,
)
from registry.domain.text import require_text


class LegalForm(StrEnum):
    """The legal form a platform's operator is registered under."""

    PRIVATE_COMPANY = "private_company"
    STATE_OWNED_ENTERPRISE = "state_owned_enterprise"
    REGIONAL_GOVERNMENT_ENTERPRISE = "regional_government_enterprise"
    GOVERNMENT_BODY = "government_body"
    OTHER = "other"

    @property
    def label(self) -> str:
        """How people name the form: BUMN and BUMD are known by their Indonesian names."""
        return _LABELS.get(self, self.value.replace("_", " "))

    @property
    def is_allowed(self) -> bool:
        """Private companies, BUMN and BUMD qualify; others need an exemption."""
        return self in ALLOWED_LEGAL_FORMS


_LABELS = {
    LegalForm.STATE_OWNED_ENTERPRISE: "BUMN",
    LegalForm.REGIONAL_GOVERNMENT_ENTERPRISE: "BUMD",
}

ALLOWED_LEGAL_FORMS = frozenset(
    {
        LegalForm.PRIVATE_COMPANY,
        LegalForm.STATE_OWNED_ENTERPRISE,
        LegalForm.REGIONAL_GOVERNMENT_ENTERPRISE,
    }
)


class Criterion(StrEnum):
    """One of the four eligibility criteria."""

    LEGAL_ENTITY = "legal_entity"
    NATIONAL_COVERAGE = "national_coverage"
    TECHNOLOGY = "technology"
    OPEN_MARKETPLACE = "open_marketplace"


class Verdict(StrEnum):
    """What an evaluator found for one criterion."""

    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"
    EXEMPT = "exempt"


class Outcome(StrEnum):
    """The overall result of an evaluation."""

    COMPLIANT = "compliant"
    NON_COMPLIANT = "non_compliant"


@dataclass(frozen=True)
class CriterionFinding:
    """The verdict on one criterion and what the evaluator saw."""

    verdict: Verdict
    finding: str


@dataclass(frozen=True)
class ObligationCheck:
    """One obligation of the partnership agreement, checked by the evaluator."""

    obligation: str
    met: bool
    finding: str


def check_criteria_complete(criteria: Mapping[Criterion, CriterionFinding]) -> None:
    """Refuse an evaluation that skips a criterion: a partial one proves nothing."""
    missing = [c.value for c in Criterion if c not in criteria]
    if missing:
        raise IncompleteEvaluationError(
            "The evaluation gives no result for: %(missing)s. Record a verdict (pass, fail "
            "or exempt) with a finding for each of the four criteria.",
            missing=", ".join(missing),
        )


def check_verdicts(criteria: Mapping[Criterion, CriterionFinding], *, exempted: bool) -> None:
    """Allow 'exempt' only where an exemption was recorded, and only for legal form."""
    for criterion, finding in criteria.items():
        require_text(f"finding on {criterion.value.replace('_', ' ')}", finding.finding)
        if finding.verdict is not Verdict.EXEMPT:
            continue
        if criterion is not Criterion.LEGAL_ENTITY:
            raise InvalidCommandError(
                "Criterion %(criterion)s cannot be exempted: only the legal-entity criterion "
                "can be met by a recorded exemption.",
                criterion=Term(criterion.value.replace("_", " ")),
            )
        if not exempted:
            raise InvalidCommandError(
                "This partner has no recorded legal-form exemption, so the "
                "legal-entity criterion must be judged pass or fail."
            )


def check_obligations(obligations: Sequence[ObligationCheck]) -> None:
    """Every obligation checked must say which one it was and what was found."""
    for check in obligations:
        require_text("obligation", check.obligation)
        require_text("finding on an obligation", check.finding)


def outcome_of(
    criteria: Mapping[Criterion, CriterionFinding],
    obligations: Sequence[ObligationCheck],
) -> Outcome:
    """Compliant only when no criterion failed and every obligation was met."""
    failed = any(f.verdict is Verdict.FAIL for f in criteria.values())
    unmet = any(not check.met for check in obligations)
    return Outcome.NON_COMPLIANT if failed or unmet else Outcome.COMPLIANT
