"""Plain snapshots of a partner, handed out by queries instead of the aggregate.

Callers get values they cannot use to change the partner, so every change
goes through a command and is recorded as an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from registry.domain.partner import Partner, Status
from registry.domain.platforms import Declaration
from registry.service.records import jsonable


@dataclass(frozen=True)
class PartnerDetails:
    """A partner as it stands at its latest version."""

    id: UUID
    version: int
    platform: Declaration
    status: Status
    registered_on: date
    terminated_on: date | None
    termination_reason: str | None
    suspended_on: date | None
    withdrawn_on: date | None
    withdrawal_reason: str | None
    latest_evaluation: dict[str, Any] | None
    open_warnings: list[dict[str, Any]]

    @property
    def name(self) -> str:
        """The platform's public name."""
        return self.platform["name"]

    def to_json(self) -> dict[str, Any]:
        """The snapshot with every value a JSON scalar, list or object.

        The declaration's fields sit at the top level, beside the state.
        """
        plain: dict[str, Any] = jsonable({
            "id": self.id, "version": self.version, **self.platform,
            "status": self.status.value, "registered_on": self.registered_on,
            "terminated_on": self.terminated_on, "termination_reason": self.termination_reason,
            "suspended_on": self.suspended_on, "withdrawn_on": self.withdrawn_on,
            "withdrawal_reason": self.withdrawal_reason,
            "latest_evaluation": self.latest_evaluation, "open_warnings": self.open_warnings,
        })  # fmt: skip
        return plain


def details_of(partner: Partner) -> PartnerDetails:
    """Copy the aggregate's state into a snapshot."""
    return PartnerDetails(
        id=partner.id,
        version=partner.version,
        platform=partner.platform,
        status=partner.status,
        registered_on=partner.registered_on,
        terminated_on=partner.terminated_on,
        termination_reason=partner.termination_reason,
        suspended_on=partner.suspended_on,
        withdrawn_on=partner.withdrawn_on,
        withdrawal_reason=partner.withdrawal_reason,
        latest_evaluation=partner.latest_evaluation,
        open_warnings=[dict(w) for _, w in sorted(partner.open_warnings.items())],
    )
