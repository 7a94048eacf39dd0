"""The public web page: the register, today or on a past date, and each partner's history.

Rendered on the server from the read models; plain HTML that works without
JavaScript; every recorded value is escaped by the template engine.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from registry.api.deps import ServicesDep
from registry.domain.criteria import LegalForm

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
LEGAL_FORMS = {form.value: form.label for form in LegalForm}


@router.get("/", response_class=HTMLResponse)
def register_page(
    request: Request,
    services: ServicesDep,
    as_of: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """The register page; ``as_of`` (YYYY-MM-DD) shows it on a past date."""
    day, error = _parse_day(as_of)
    store = services.read_models
    rows = store.partners() if day is None else store.register_on(day)
    rows.sort(key=lambda r: (r.name.casefold(), r.partner_id))
    context = {
        "current": [r for r in rows if r.status != "terminated"],
        "ended": [r for r in rows if r.status == "terminated"],
        "as_of": day.isoformat() if day else None,
        "today": services.registry.today().isoformat(),
        "error": error,
        "legal_forms": LEGAL_FORMS,
        "chain_head": services.read_models.chain_head().sequence,
    }
    return templates.TemplateResponse(
        request, "register.html", context, status_code=400 if error else 200
    )


@router.get("/register/{partner_id}", response_class=HTMLResponse)
def history_page(request: Request, partner_id: UUID, services: ServicesDep) -> HTMLResponse:
    """One partner's page: its standing and its whole history."""
    row = services.read_models.partner(str(partner_id))
    if row is None:
        detail = f"No partner has the id {partner_id}."
        return templates.TemplateResponse(
            request, "not_found.html", {"detail": detail}, status_code=404
        )
    context = {
        "partner": row,
        "entries": services.read_models.partner_entries(str(partner_id)),
        "legal_forms": LEGAL_FORMS,
    }
    return templates.TemplateResponse(request, "history.html", context)


def _parse_day(text: str | None) -> tuple[date | None, str | None]:
    if not text:
        return None, None
    try:
        return date.fromisoformat(text), None
    except ValueError:
        return None, f"{text!r} is not a date; use the form YYYY-MM-DD."
