"""The page templates, and what each page needs to speak its reader's language.

Shared by the pages and by the error pages browsers are shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import Response

from registry.api.i18n import COOKIE, LANGUAGE_NAMES, LANGUAGES, Words, language_of

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
_YEAR_SECONDS = 365 * 24 * 3600


def speaking(request: Request) -> dict[str, Any]:
    """The template context every page shares: its language, words, dates and the switch."""
    words = words_of(request)
    language = words.language
    others = {k: v for k, v in request.query_params.items() if k != "lang"}
    return {
        "lang": language,
        "_": words.gettext,
        "word": words.word,
        "day": words.day,
        "moment": words.moment,
        "switch": [
            (code, LANGUAGE_NAMES[code], f"{request.url.path}?{urlencode(others | {'lang': code})}")
            for code in LANGUAGES
            if code != language
        ],
    }


def words_of(request: Request) -> Words:
    """The reader's language, with the registry's time zone."""
    return Words(language_of(request), request.app.state.services.settings.registry_timezone)


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """A page in the reader's language; a language chosen with ?lang= is remembered."""
    response = templates.TemplateResponse(
        request, name, speaking(request) | context, status_code=status_code
    )
    chosen = request.query_params.get("lang")
    if chosen in LANGUAGES:
        response.set_cookie(COOKIE, chosen, max_age=_YEAR_SECONDS, httponly=True, samesite="lax")
    return response
