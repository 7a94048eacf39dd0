"""What a platform declares when it applies, and whether that makes it eligible.

Eligibility is judged on the declaration at registration; later
evaluations judge the same criteria against what the platform actually does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from registry.domain.criteria import LegalForm
from registry.domain.exceptions import (
    IneligiblePlatformError,
    InvalidCommandError,
    NotAPlatformError,
)
from registry.domain.text import (
    MAX_NAME_LENGTH,
    MAX_TEXT_LENGTH,
    optional_identifier,
    optional_text,
    require_identifier,
)


def _fact(label: str, help_text: str, *, max_length: int = MAX_NAME_LENGTH) -> dict[str, Any]:
    return {"label": label, "help": help_text, "max_length": max_length}


@dataclass(frozen=True)
class PlatformDetails:
    """The applicant's declaration: who it is and which criteria it claims to meet.

    This is the one definition of a platform's fields: the event stores it
    (``to_plain``), and the views, the HTTP API and the CLI build their
    fields, labels and help from ``fields(PlatformDetails)`` and the
    metadata here. ``exemption_basis`` is the recorded ground on which a
    legal form outside the three allowed ones is accepted; it is never implied.
    """

    name: str = field(metadata=_fact("Name", "The platform's public name."))
    legal_form: LegalForm = field(metadata=_fact("Legal form", "The operator's legal form."))
    national_coverage: bool = field(
        metadata=_fact("National coverage", "Declared: serves the whole country.")
    )
    technology_ready: bool = field(
        metadata=_fact("Technology", "Declared: runs systems supporting the programme.")
    )
    open_marketplace: bool = field(
        metadata=_fact("Open marketplace", "Declared: sells many independent providers' training.")
    )
    legal_name: str | None = field(
        default=None, metadata=_fact("Legal name", "The operator's registered name.")
    )
    registration_number: str | None = field(
        default=None,
        metadata=_fact("Registration number", "The operator's business registration number."),
    )
    website: str | None = field(default=None, metadata=_fact("Website", "The platform's address."))
    commission_terms: str | None = field(
        default=None,
        metadata=_fact(
            "Commission terms", "What the platform charges.", max_length=MAX_TEXT_LENGTH
        ),
    )
    exemption_basis: str | None = field(
        default=None,
        metadata=_fact(
            "Exemption basis",
            "Required for a legal form outside the three allowed.",
            max_length=MAX_TEXT_LENGTH,
        ),
    )

    def to_plain(self) -> dict[str, Any]:
        """The declaration as plain data, for an event."""
        plain = asdict(self)
        plain["legal_form"] = self.legal_form.value
        return plain

    @classmethod
    def from_plain(cls, plain: Mapping[str, Any]) -> PlatformDetails:
        """The declaration from plain data (an event, a request body)."""
        return cls(**{**plain, "legal_form": LegalForm(plain["legal_form"])})


PLATFORM_FIELDS = fields(PlatformDetails)


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
