"""Request and response bodies of the HTTP API, separate from the domain's types.

Requests are validated here (types, lengths, no unknown fields) before any
command exists, strictly: a boolean must be true or false (never "yes" or
1) and a date a "YYYY-MM-DD" string (never a number read as Unix time);
the domain then applies the register's rules. The actor is never part of a
request: it comes from the bearer token.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, Optional
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, create_model

from registry.domain.criteria import Criterion, LegalForm, Verdict
from registry.domain.platforms import DECLARED, Declaration, declaration
from registry.service.records import PublicRecord

Name = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
Reason = Annotated[str, Field(min_length=1, max_length=4000, description="Why (recorded).")]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_text(value: object) -> object:
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    msg = "a date must be a string YYYY-MM-DD"
    raise ValueError(msg)


IsoDate = Annotated[date, BeforeValidator(_iso_date_text)]
EffectiveDate = Annotated[
    IsoDate | None,
    Field(description="When the decision took effect (default: today, Asia/Jakarta)."),
]


class Request(BaseModel):
    """Every request body: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


def _declared_fields() -> dict[str, Any]:
    """The request fields of a platform's declaration, from its one definition."""
    fields: dict[str, Any] = {}
    for declared in DECLARED:
        fact = declared.fact
        kind: Any = declared.kind
        if fact.choices is not None:
            kind = fact.choices
        elif kind is str:
            kind = Annotated[str, Field(min_length=1, max_length=fact.max_length)]
        elif kind is bool:
            kind = StrictBool
        fields[declared.name] = (
            Optional[kind] if declared.optional else kind,  # noqa: UP045 - built at run time
            Field(default=None if declared.optional else ..., description=fact.help),
        )
    return fields


if TYPE_CHECKING:
    DeclarationIn = Request
else:
    DeclarationIn = create_model("DeclarationIn", __base__=Request, **_declared_fields())


class RegisterIn(DeclarationIn):
    """A platform applying to become a partner, with its declarations."""

    reason: Reason
    effective_date: EffectiveDate = None

    def platform(self) -> Declaration:
        """The declaration the body carries."""
        return declaration(**{field.name: getattr(self, field.name) for field in DECLARED})


class AmendmentIn(Request):
    """The details that change; a field left out stays as it is, null clears it."""

    name: Name | None = None
    legal_name: Name | None = None
    registration_number: Name | None = None
    website: Name | None = None
    commission_terms: Text | None = None
    reason: Reason
    effective_date: EffectiveDate = None

    def changes(self) -> dict[str, str | None]:
        """Only the fields the request names, so that leaving one out never clears it."""
        named = self.model_fields_set - {"reason", "effective_date"}
        return {field: getattr(self, field) for field in sorted(named)}


CorrectedField = Literal[
    "name", "legal_name", "registration_number", "website", "commission_terms", "deadline", "reason"
]


class CorrectionIn(Request):
    """The right values of the fields an event got wrong, and why."""

    changes: dict[CorrectedField, Annotated[str, Field(max_length=4000)] | None] = Field(
        min_length=1, description="Field: right value (a deadline as YYYY-MM-DD)."
    )
    reason: Reason


class RuleSetIn(Request):
    """A version of the rules: its identifier, title, first day and each criterion's citation."""

    identifier: Name
    title: Name
    in_force_from: IsoDate
    citations: dict[Criterion, Text | None] = Field(
        description="All four criteria; null where the source names no article."
    )
    reason: Reason
    effective_date: EffectiveDate = None


class RuleSetOut(BaseModel):
    """A rule set in the rule book."""

    identifier: str
    title: str
    in_force_from: date
    citations: dict[str, str | None]


class FindingIn(Request):
    """The verdict on one criterion."""

    verdict: Verdict
    finding: Text


class ObligationIn(Request):
    """One obligation of the agreement, checked."""

    obligation: Text
    met: StrictBool
    finding: Text


class EvaluationIn(Request):
    """An evaluation: a finding for each of the four criteria, and obligations checked."""

    criteria: dict[Criterion, FindingIn] = Field(
        description="All four: legal_entity, national_coverage, technology, open_marketplace."
    )
    obligations: Annotated[list[ObligationIn], Field(max_length=100)] = []
    reason: Reason
    effective_date: EffectiveDate = None


class WarningIn(Request):
    """A warning: the breach (reason), what it concerns (one of two), the deadline."""

    criterion: Criterion | None = None
    obligation: Text | None = None
    deadline: IsoDate
    reason: Reason
    effective_date: EffectiveDate = None


class DecisionIn(Request):
    """A decision that needs only its reason and effective date (suspend, reinstate, withdraw)."""

    reason: Reason
    effective_date: EffectiveDate = None


class WithdrawalIn(DecisionIn):
    """The withdrawal of a warning issued in error: the reason says why it was wrong."""


class ResolutionIn(DecisionIn):
    """The evidence that an open warning's breach was remedied."""

    evidence: Text


class ExtensionIn(Request):
    """A later deadline for an open warning, and why."""

    deadline: IsoDate
    reason: Reason
    effective_date: EffectiveDate = None


class ObjectionIn(DecisionIn):
    """The platform's objection: the event objected to (by version); the reason is its grounds."""

    against_version: int = Field(
        ge=1, le=1_000_000, description="The version of a Warned, Suspended or Terminated event."
    )


class ObjectionDecisionIn(DecisionIn):
    """The decision on an objection, and why."""

    outcome: Literal["upheld", "dismissed"]


class TerminationIn(DecisionIn):
    """The end of a partnership for breach: the reason states it."""


class RecordedOut(BaseModel):
    """What a write recorded, and the partner's new version (also its ETag)."""

    partner_id: UUID
    version: int
    position: int
    event: Annotated[PublicRecord, Field(discriminator="type")]


class WarningOut(BaseModel):
    """An open warning."""

    warning_number: int
    criterion: Criterion | None
    obligation: str | None
    deadline: date
    breach: str


class ObjectionOut(BaseModel):
    """A platform's objection and, once decided, its outcome."""

    objection_number: int
    against_version: int
    against_type: Literal["Warned", "Suspended", "Terminated"]
    warning_number: int | None
    lodged_on: date
    grounds: str
    outcome: Literal["upheld", "dismissed"] | None
    decided_on: date | None
    decision_reason: str | None


class CorrectionOut(BaseModel):
    """A correction of an earlier event, noted beside the corrected fact."""

    correction_version: int
    corrected_version: int
    fact_version: int
    fact_type: str
    warning_number: int | None
    changes: dict[str, str | None]
    previous: dict[str, str | None]
    corrected_at: datetime
    reason: str


class CriterionOut(BaseModel):
    """The latest evaluation's verdict on one criterion, and what the rules in force cite."""

    verdict: Literal["pass", "fail", "exempt"]
    finding: str
    citation: str | None = None


class PartnerOut(BaseModel):
    """A partner in the public register."""

    partner_id: UUID
    name: str
    legal_name: str | None
    registration_number: str | None
    website: str | None
    commission_terms: str | None
    legal_form: LegalForm
    exemption_basis: str | None
    status: Literal["active", "warned", "suspended", "terminated", "withdrawn"]
    registered_on: date
    terminated_on: date | None
    termination_reason: str | None
    suspended_on: date | None
    withdrawn_on: date | None
    withdrawal_reason: str | None
    latest_outcome: Literal["compliant", "non_compliant"] | None
    latest_evaluated_on: date | None
    latest_rule_set: str | None
    latest_criteria: dict[str, CriterionOut]
    open_warnings: list[WarningOut]
    objections: list[ObjectionOut]
    corrections: list[CorrectionOut]
    overdue_warnings: list[int] = Field(
        description="Open warnings past their deadline on the day asked about (today, or as_of): "
        "derived from the clock in REGISTRY_TIMEZONE, never recorded."
    )
    version: int
    position: int
    updated_at: datetime


class PartnerPage(BaseModel):
    """One page of the register."""

    items: list[PartnerOut]
    total: int
    limit: int
    offset: int
    as_of: date | None
    known_at: datetime | None


class ChainHeadOut(BaseModel):
    """The last verified audit-trail entry."""

    sequence: int
    chain_hash: str


class AuditEntryOut(BaseModel):
    """One entry of the audit trail, with its chain hash."""

    sequence: int
    position: int
    partner_id: UUID
    version: int
    event_type: str
    actor: str
    reason: str
    recorded_at: datetime
    effective_date: date
    event: dict[str, Any] = Field(description="The event record; its canonical JSON is hashed.")
    chain_hash: str


class AuditPage(BaseModel):
    """Entries of the verified audit trail after a sequence number."""

    items: list[AuditEntryOut]
    after: int
    limit: int
    next_after: int | None
    chain_head: ChainHeadOut


class Problem(BaseModel):
    """An error, as RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None


class InvalidField(BaseModel):
    """One thing wrong with a request."""

    location: list[str | int]
    message: str
    type: str


class ValidationProblem(Problem):
    """A request that does not match the API's schema, field by field."""

    errors: list[InvalidField] = []


class CheckpointOut(BaseModel):
    """A signed checkpoint: verify ``signature`` over the other fields' canonical JSON."""

    sequence: int
    position: int
    chain_hash: str
    signed_at: str = Field(description="As signed (ISO 8601); part of the signed bytes.")
    source: str
    key_id: str
    signature: str


class PublicKeyOut(BaseModel):
    """A key the registry signs checkpoints with."""

    key_id: str
    public_key: str = Field(description="PEM (SubjectPublicKeyInfo), Ed25519.")
    first_used: datetime


class KeyAnnouncementOut(BaseModel):
    """The key in use (``key_id``) announcing, signed, the key that signs after it."""

    new_key_id: str
    new_public_key: str
    announced_at: str
    source: str
    key_id: str
    signature: str
