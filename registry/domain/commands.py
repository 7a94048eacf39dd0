"""The commands the registry accepts: plain values that entry points build.

Entry points (CLI, HTTP) parse and type user input into these; the
application turns each into exactly one recorded event or a refusal.
``expected_version`` lets a caller say which version it decided on, so a
decision taken on stale information is refused instead of recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from registry.domain.criteria import Criterion, CriterionFinding, ObligationCheck
from registry.domain.decisions import Decision
from registry.domain.platforms import Declaration
from registry.domain.rules import RuleSet


@dataclass(frozen=True)
class RegisterPartner:
    """Start a partnership for a platform."""

    platform: Declaration
    decision: Decision


@dataclass(frozen=True)
class AmendDetails:
    """Change some of a partner's names, number, website or commission terms."""

    partner_id: UUID
    changes: Mapping[str, str | None]
    decision: Decision
    expected_version: int | None = None


@dataclass(frozen=True)
class EvaluatePartner:
    """Record an evaluation against the four criteria and the agreement."""

    partner_id: UUID
    criteria: Mapping[Criterion, CriterionFinding]
    obligations: Sequence[ObligationCheck]
    decision: Decision
    expected_version: int | None = None


@dataclass(frozen=True)
class WarnPartner:
    """Warn a partner of a breach of one criterion or obligation."""

    partner_id: UUID
    decision: Decision
    deadline: date
    criterion: Criterion | None = None
    obligation: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class PartnerDecision:
    """A decision that needs nothing but the partner, who, why and from when."""

    partner_id: UUID
    decision: Decision
    expected_version: int | None = None


@dataclass(frozen=True)
class WithdrawWarning:
    """Withdraw an open warning issued in error."""

    partner_id: UUID
    warning_number: int
    decision: Decision
    expected_version: int | None = None


@dataclass(frozen=True)
class ResolveWarning:
    """Close an open warning on evidence that the breach was remedied."""

    partner_id: UUID
    warning_number: int
    evidence: str
    decision: Decision
    expected_version: int | None = None


@dataclass(frozen=True)
class ExtendWarningDeadline:
    """Give an open warning a later deadline."""

    partner_id: UUID
    warning_number: int
    deadline: date
    decision: Decision
    expected_version: int | None = None


class SuspendPartner(PartnerDecision):
    """Pause a partner's sales while the programme investigates."""


class ReinstatePartner(PartnerDecision):
    """Lift a suspension."""


class WithdrawPartner(PartnerDecision):
    """Record that the platform left the programme of its own accord."""


class TerminatePartner(PartnerDecision):
    """End a partnership for good."""


@dataclass(frozen=True)
class LodgeObjection:
    """Record the platform's objection to a warning, suspension or termination (by version)."""

    partner_id: UUID
    against_version: int
    decision: Decision
    expected_version: int | None = None


@dataclass(frozen=True)
class DecideObjection:
    """Uphold or dismiss an objection."""

    partner_id: UUID
    objection_number: int
    upheld: bool
    decision: Decision
    expected_version: int | None = None


@dataclass(frozen=True)
class CorrectEvent:
    """Say what an earlier event (by version) should have said, and why."""

    partner_id: UUID
    version: int
    changes: Mapping[str, object]
    actor: str
    reason: str
    expected_version: int | None = None


@dataclass(frozen=True)
class RecordRuleSet:
    """Record a version of the rules partners are evaluated against."""

    rules: RuleSet
    decision: Decision
