"""The pages in the public's language: Indonesian first, English second.

Every word a page shows goes through the message catalogue
(``locale/id/LC_MESSAGES/messages.po``, compiled in memory at start): the
templates call ``_()``, and the words the record stores as codes (statuses,
verdicts, criteria, legal forms, event types) are named here with ``N_`` so
that extraction finds them. The language is the one asked for with
``?lang=``, then the one remembered in the ``lang`` cookie, then the best
match in ``Accept-Language``, else Indonesian. Dates and times are shown in
``REGISTRY_TIMEZONE`` with the language's month names. The feeds and the
API keep their machine field names.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from starlette.requests import Request

from registry.domain.exceptions import RegistryError, Term

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}
LOCALE_DIR = Path(__file__).parent / "locale"
COOKIE = "lang"


def marks() -> dict[str, None]:
    """The calls whose first argument extraction takes into the catalogue.

    ``_`` and ``N_``, and every refusal: a refusal's template is a sentence a
    page shows, so each class of ``RegistryError`` marks one.
    """
    found, todo = [], [RegistryError]
    while todo:
        kind = todo.pop()
        found.append(kind.__name__)
        todo.extend(kind.__subclasses__())
    return dict.fromkeys(["_", "N_", *sorted(found)])


def N_(message: str) -> str:  # noqa: N802 - the conventional name extraction looks for
    """Mark a word for the catalogue without translating it here."""
    return message


STATUSES = {
    "active": N_("active"), "warned": N_("warned"), "suspended": N_("suspended"),
    "terminated": N_("terminated"), "withdrawn": N_("withdrawn"),
}  # fmt: skip
VERDICTS = {"pass": N_("pass"), "fail": N_("fail"), "exempt": N_("exempt")}
OUTCOMES = {
    "compliant": N_("compliant"), "non_compliant": N_("non-compliant"),
    "upheld": N_("upheld"), "dismissed": N_("dismissed"),
}  # fmt: skip
CRITERIA = {
    "legal_entity": N_("legal entity"), "national_coverage": N_("national coverage"),
    "technology": N_("technology"), "open_marketplace": N_("open marketplace"),
}  # fmt: skip
LEGAL_FORMS = {
    "private_company": N_("private company"), "state_owned_enterprise": N_("BUMN"),
    "regional_government_enterprise": N_("BUMD"), "government_body": N_("government body"),
    "other": N_("other"),
}  # fmt: skip
EVENT_TYPES = {
    "Registered": N_("Registered"), "DetailsAmended": N_("Details amended"),
    "Evaluated": N_("Evaluated"), "Warned": N_("Warned"),
    "WarningWithdrawn": N_("Warning withdrawn"), "WarningResolved": N_("Warning resolved"),
    "WarningDeadlineExtended": N_("Deadline extended"), "Suspended": N_("Suspended"),
    "Reinstated": N_("Reinstated"), "Withdrawn": N_("Withdrew"), "Terminated": N_("Terminated"),
    "ObjectionLodged": N_("Objection lodged"), "ObjectionDecided": N_("Objection decided"),
    "Corrected": N_("Corrected"),
}  # fmt: skip
FIELDS = {
    "name": N_("name"), "legal_name": N_("legal name"),
    "registration_number": N_("registration number"), "website": N_("website"),
    "commission_terms": N_("commission terms"), "deadline": N_("deadline"),
    "reason": N_("reason"),
}  # fmt: skip
ROLES = {"officer": N_("officer"), "director": N_("director")}
TERMS = (
    N_("platform name"), N_("exemption basis"), N_("actor"), N_("evidence"),
    N_("obligation"), N_("effective date"), N_("rule set identifier"),
    N_("rule set title"), N_("finding on an obligation"),
    N_("finding on legal entity"), N_("finding on national coverage"),
    N_("finding on technology"), N_("finding on open marketplace"),
    N_("citation for legal entity"), N_("citation for national coverage"),
    N_("citation for technology"), N_("citation for open marketplace"),
    N_("technology supporting the programme"),
    N_("national coverage or technology supporting the programme"),
    N_("state owned enterprise"), N_("regional government enterprise"),
    N_("a name that looks the same as"), N_("the same name as"),
    N_("the same registration number as"),
    N_("an amendment of details"), N_("an evaluation"), N_("a warning"),
    N_("a withdrawal of a warning"), N_("a resolution of a warning"),
    N_("an extension of a deadline"), N_("a suspension"), N_("a reinstatement"),
    N_("a withdrawal"), N_("a termination"), N_("an objection"),
    N_("a decision on an objection"),
)  # fmt: skip
"""The words of the registry's language that refusals put into their sentences (``Term``)
besides the fields, criteria and legal forms named above."""
HEADINGS = (
    N_("Not found"),
    N_("Not a point in time"),
    N_("Invalid request"),
    N_("Method not allowed"),
    N_("Partner not found"),
    N_("Feed not found"),
    N_("Store unavailable"),
    N_("Internal error"),
    N_("Malformed json"),
    N_("Unsupported media type"),
)
"""The headings of the error pages a browser is most likely to meet."""

FATES = {
    "resolved": N_("Resolved on %(day)s."), "withdrawn": N_("Withdrawn on %(day)s."),
    "cured": N_("Cured by an evaluation on %(day)s."),
    "lifted": N_("Closed on objection on %(day)s."),
    "open": N_("Still open on %(day)s."), "overdue": N_("Overdue on %(day)s."),
}  # fmt: skip
"""What became of a warning, as a partner's history says it."""

WORDS = {
    "status": STATUSES, "verdict": VERDICTS, "outcome": OUTCOMES, "criterion": CRITERIA,
    "legal_form": LEGAL_FORMS, "event": EVENT_TYPES, "field": FIELDS,
    "role": ROLES,
}  # fmt: skip


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalogue of a language, compiled from its .po file once."""
    if language == "en":
        return gettext.NullTranslations()
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def language_of(request: Request) -> str:
    """The language to answer in: asked for, remembered, accepted, else Indonesian."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    remembered = request.cookies.get(COOKIE)
    if remembered in LANGUAGES:
        return remembered
    return accepted(request.headers.get("accept-language", ""))


def accepted(header: str) -> str:
    """The best of our languages in an Accept-Language header (RFC 9110 12.5.4)."""
    ranked: list[tuple[float, int, str]] = []
    for place, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, place, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


class Words:
    """What a template needs to speak one language: ``_``, the coded words, dates and times."""

    def __init__(self, language: str, timezone: str) -> None:
        self.language = language
        self._zone = ZoneInfo(timezone)
        self.gettext: Callable[[str], str] = translations(language).gettext

    def word(self, kind: str, code: str | None) -> str:
        """A coded value (a status, a verdict, a criterion...) in this language."""
        if code is None:
            return ""
        return self.gettext(WORDS[kind].get(code, code))

    def refusal(self, refused: RegistryError) -> str:
        """A refusal in this language: its sentence from the catalogue, its terms and dates ours.

        A sentence the catalogue lacks stays English rather than failing the page.
        """
        sentence = self.gettext(refused.template)
        if not refused.params:
            return sentence
        return sentence % {name: self._put(value) for name, value in refused.params.items()}

    def _put(self, value: object) -> object:
        if isinstance(value, Term):
            return self.gettext(value)
        if isinstance(value, datetime):
            return self.moment(value)
        if isinstance(value, date):
            return self.day(value)
        return value

    def day(self, value: str | date | None) -> str:
        """A calendar date with the language's month name, e.g. 17 Agustus 2020."""
        if not value:
            return ""
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return format_date(day, "d MMMM y", locale=self.language)

    def moment(self, value: str | datetime | None) -> str:
        """A recorded moment in the registry's time zone, e.g. 2 Desember 2026 10.00 WIB."""
        if not value:
            return ""
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        local = moment.astimezone(self._zone)
        pattern = "d MMMM y HH.mm" if self.language == "id" else "d MMMM y HH:mm"
        return f"{format_datetime(local, pattern, locale=self.language)} {local.tzname()}"
