"""What a platform declares when it applies, and whether that makes it eligible.

Eligibility is judged on the declaration at registration; later
evaluations judge the same criteria against what the platform actually does.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import NoneType
from typing import Annotated, cast, get_args, get_type_hints

from typing_extensions import TypedDict

from registry.domain.criteria import LegalForm
from registry.domain.exceptions import (
    IneligiblePlatformError,
    InvalidCommandError,
    NotAPlatformError,
    Term,
)
from registry.domain.text import (
    MAX_NAME_LENGTH,
    MAX_TEXT_LENGTH,
    optional_identifier,
    optional_text,
    require_identifier,
)


@dataclass(frozen=True)
class Fact:
    """How people know one declared fact, and how its text is checked.

    An identifier (a name, a number, an address) refuses invisible and
    look-alike-prone characters and is short; free text may be long.
    """

    label: str
    help: str
    identifier: bool = True
    choices: type[StrEnum] | None = None

    @property
    def max_length(self) -> int:
        """The longest text accepted."""
        return MAX_NAME_LENGTH if self.identifier else MAX_TEXT_LENGTH


class Declaration(TypedDict):
    """The applicant's declaration: who it is and which criteria it claims to meet.

    The one definition of a platform's fields, as plain data: the
    registration event stores it and the public record publishes it as it
    is, and the views, the HTTP API and the CLI build their fields, labels
    and help from it (``DECLARED``). ``legal_form`` holds a ``LegalForm``
    value. ``exemption_basis`` is the recorded ground on which a legal form
    outside the three allowed ones is accepted; it is never implied.
    """

    name: Annotated[str, Fact("Name", "The platform's public name.")]
    legal_form: Annotated[str, Fact("Legal form", "The operator's legal form.", choices=LegalForm)]
    national_coverage: Annotated[
        bool, Fact("National coverage", "Declared: serves the whole country.")
    ]
    technology_ready: Annotated[
        bool, Fact("Technology", "Declared: runs systems supporting the programme.")
    ]
    open_marketplace: Annotated[
        bool, Fact("Open marketplace", "Declared: sells many independent providers' training.")
    ]
    legal_name: Annotated[str | None, Fact("Legal name", "The operator's registered name.")]
    registration_number: Annotated[
        str | None, Fact("Registration number", "The operator's business registration number.")
    ]
    website: Annotated[str | None, Fact("Website", "The platform's address.")]
    commission_terms: Annotated[
        str | None, Fact("Commission terms", "What the platform charges.", identifier=False)
    ]
    exemption_basis: Annotated[
        str | None,
        Fact(
            "Exemption basis",
            "Required for a legal form outside the three allowed.",
            identifier=False,
        ),
    ]


@dataclass(frozen=True)
class DeclaredField:
    """One field of the declaration: its name, its value's type, whether it may be left out."""

    name: str
    kind: type
    optional: bool
    fact: Fact


def _declared_fields() -> tuple[DeclaredField, ...]:
    found = []
    for name, hint in get_type_hints(Declaration, include_extras=True).items():
        kind, fact = get_args(hint)
        optional = NoneType in get_args(kind)
        plain = next(t for t in get_args(kind) if t is not NoneType) if optional else kind
        found.append(DeclaredField(name, plain, optional, fact))
    return tuple(found)


DECLARED = _declared_fields()


def declaration(**declared: object) -> Declaration:
    """A declaration from named values; the optional facts left out are None."""
    names = {f.name for f in DECLARED}
    unknown = sorted(set(declared) - names)
    if unknown:
        raise InvalidCommandError("A platform declares no %(unknown)s.", unknown=", ".join(unknown))
    missing = sorted(f.name for f in DECLARED if not f.optional and declared.get(f.name) is None)
    if missing:
        raise InvalidCommandError("The declaration needs %(missing)s.", missing=", ".join(missing))
    plain = {f.name: declared.get(f.name) for f in DECLARED}
    return cast(
        Declaration, {k: v.value if isinstance(v, StrEnum) else v for k, v in plain.items()}
    )


def legal_form_of(declared: Declaration) -> LegalForm:
    """The declared legal form; a value outside the list is refused."""
    try:
        return LegalForm(declared["legal_form"])
    except ValueError:
        raise InvalidCommandError(
            "%(form)r is not a legal form; use one of %(forms)s.",
            form=declared["legal_form"],
            forms=", ".join(f.value for f in LegalForm),
        ) from None


def checked_platform(declared: Declaration) -> Declaration:
    """Return the declaration with clean text, or refuse an ineligible applicant."""
    cleaned = _cleaned(declared)
    name = cleaned["name"]
    if not cleaned["open_marketplace"]:
        raise NotAPlatformError(
            "%(name)s sells only training made by its own organisation, so it is a training "
            "institution (lembaga pelatihan), not a digital platform: register it in the "
            "training-institution register instead.",
            name=name,
        )
    _check_legal_form(cleaned)
    unmet = [
        label
        for label, met in (
            ("national coverage", cleaned["national_coverage"]),
            ("technology supporting the programme", cleaned["technology_ready"]),
        )
        if not met
    ]
    if unmet:
        raise IneligiblePlatformError(
            "%(name)s does not declare %(unmet)s, which every partner platform must have.",
            name=name,
            unmet=Term(" or ".join(unmet)),
        )
    return cleaned


def _cleaned(declared: Declaration) -> Declaration:
    plain: dict[str, object] = dict(declared)
    for field in DECLARED:
        if field.kind is not str or field.fact.choices is not None:
            continue
        label = "platform name" if field.name == "name" else field.fact.label.lower()
        value = plain[field.name]
        if value is not None and not isinstance(value, str):
            raise InvalidCommandError("The %(field)s must be text.", field=Term(label))
        if not field.optional:
            plain[field.name] = require_identifier(label, value or "")
        elif field.fact.identifier:
            plain[field.name] = optional_identifier(label, value)
        else:
            plain[field.name] = optional_text(label, value)
    plain["legal_form"] = legal_form_of(declared).value
    return cast(Declaration, plain)


def _check_legal_form(declared: Declaration) -> None:
    form = legal_form_of(declared)
    name, exemption = declared["name"], declared["exemption_basis"]
    if not form.is_allowed and exemption is None:
        raise IneligiblePlatformError(
            "%(name)s is a %(form)s; partners must be a private company, a state-owned "
            "enterprise (BUMN) or a regional-government-owned enterprise (BUMD). Record an "
            "exemption with its basis if the programme accepts it regardless.",
            name=name,
            form=Term(form.value.replace("_", " ")),
        )
    if form.is_allowed and exemption is not None:
        raise InvalidCommandError(
            "%(name)s is a %(form)s, an allowed legal form, so it needs no exemption; remove "
            "the exemption basis.",
            name=name,
            form=Term(form.value.replace("_", " ")),
        )
