"""What a platform declares when it applies, and whether that makes it eligible.

Eligibility is judged on the declaration at registration; later
evaluations judge the same criteria against what the platform actually does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from registry.criteria import LegalForm
from registry.exceptions import (
    IneligiblePlatformError,
    InvalidCommandError,
    NotAPlatformError,
)
from registry.text import optional_identifier, optional_text, require_identifier


@dataclass(frozen=True)
class PlatformDetails:
    """The applicant's declaration: who it is and which criteria it claims to meet.

    ``exemption_basis`` is the recorded ground on which a legal form outside
    the three allowed ones is accepted; it is never implied.
    """

    name: str
    legal_form: LegalForm
    national_coverage: bool
    technology_ready: bool
    open_marketplace: bool
    legal_name: str | None = None
    registration_number: str | None = None
    website: str | None = None
    commission_terms: str | None = None
    exemption_basis: str | None = None


def checked_platform(details: PlatformDetails) -> PlatformDetails:
    """Return the declaration with clean text, or refuse an ineligible applicant."""
    cleaned = _cleaned(details)
    if not cleaned.open_marketplace:
        raise NotAPlatformError(
            f"{cleaned.name} sells only training made by its own organisation, "
            "so it is a training institution (lembaga pelatihan), not a digital "
            "platform: register it in the training-institution register instead."
        )
    _check_legal_form(cleaned)
    unmet = [
        label
        for label, met in (
            ("national coverage", cleaned.national_coverage),
            ("technology supporting the programme", cleaned.technology_ready),
        )
        if not met
    ]
    if unmet:
        raise IneligiblePlatformError(
            f"{cleaned.name} does not declare " + " or ".join(unmet) + ", which "
            "every partner platform must have."
        )
    return cleaned


def _cleaned(details: PlatformDetails) -> PlatformDetails:
    return replace(
        details,
        name=require_identifier("platform name", details.name),
        legal_name=optional_identifier("legal name", details.legal_name),
        registration_number=optional_identifier("registration number", details.registration_number),
        website=optional_identifier("website", details.website),
        commission_terms=optional_text("commission terms", details.commission_terms),
        exemption_basis=optional_text("exemption basis", details.exemption_basis),
    )


def _check_legal_form(details: PlatformDetails) -> None:
    allowed = details.legal_form.is_allowed
    if not allowed and details.exemption_basis is None:
        raise IneligiblePlatformError(
            f"{details.name} is a {details.legal_form.value.replace('_', ' ')}; "
            "partners must be a private company, a state-owned enterprise (BUMN) "
            "or a regional-government-owned enterprise (BUMD). Record an "
            "exemption with its basis if the programme accepts it regardless."
        )
    if allowed and details.exemption_basis is not None:
        raise InvalidCommandError(
            f"{details.name} is a {details.legal_form.value.replace('_', ' ')}, "
            "an allowed legal form, so it needs no exemption; remove the "
            "exemption basis."
        )
