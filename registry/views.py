"""Plain snapshots of a partner, handed out by queries instead of the aggregate.

Callers get values they cannot use to change the partner, so every change
goes through a command and is recorded as an event.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from uuid import UUID

from registry.domain import Partner, Status
from registry.records import jsonable


@dataclass(frozen=True)
class PartnerDetails:
    """A partner as it stands at its latest version."""

    id: UUID
    version: int
    name: str
    legal_form: str
    legal_name: str | None
    registration_number: str | None
    website: str | None
    national_coverage: bool
    technology_ready: bool
    open_marketplace: bool
    commission_terms: str | None
    exemption_basis: str | None
    status: Status
    registered_on: date
    terminated_on: date | None
    termination_reason: str | None
    latest_evaluation: dict[str, Any] | None
    open_warnings: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        """The snapshot with every value a JSON scalar, list or object."""
        plain: dict[str, Any] = jsonable(asdict(self))
        plain["status"] = self.status.value
        return plain


def details_of(partner: Partner) -> PartnerDetails:
    """Copy the aggregate's state into a snapshot."""
    return PartnerDetails(
        id=partner.id,
        version=partner.version,
        name=partner.name,
        legal_form=partner.legal_form,
        legal_name=partner.legal_name,
        registration_number=partner.registration_number,
        website=partner.website,
        national_coverage=partner.national_coverage,
        technology_ready=partner.technology_ready,
        open_marketplace=partner.open_marketplace,
        commission_terms=partner.commission_terms,
        exemption_basis=partner.exemption_basis,
        status=partner.status,
        registered_on=partner.registered_on,
        terminated_on=partner.terminated_on,
        termination_reason=partner.termination_reason,
        latest_evaluation=partner.latest_evaluation,
        open_warnings=[dict(w) for _, w in sorted(partner.open_warnings.items())],
    )
