"""The public web page: the register, today or on a past date, and each partner's history.

Rendered on the server from the read models, in the reader's language
(``registry/api/i18n.py``); plain HTML that works without JavaScript; every
recorded value is escaped by the template engine.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from projections.current_partners import ENDED, overdue_warnings
from projections.point_in_time import PointInTime
from registry.api.deps import ServicesDep, point_of
from registry.api.i18n import FATES
from registry.api.page_details import decided, warning_fates
from registry.api.services import Services
from registry.api.templating import page, words_of
from registry.api.timeline import STATUS_COLOURS, Month, register_by_month, status_periods
from registry.domain.exceptions import InvalidPointInTimeError, PartnerNotFoundError, RegistryError

router = APIRouter(include_in_schema=False)

AsOf = Annotated[str | None, Query(max_length=20)]
KnownAt = Annotated[str | None, Query(max_length=40)]


@router.get("/", response_class=HTMLResponse)
def register_page(
    request: Request, services: ServicesDep, as_of: AsOf = None, known_at: KnownAt = None
) -> Response:
    """The register page, now or at a point in time (``as_of`` day, ``known_at`` moment)."""
    timezone = services.settings.registry_timezone
    try:
        point, error = point_of(as_of, known_at, timezone), None
    except InvalidPointInTimeError as refused:
        point, error = PointInTime(), words_of(request).refusal(refused)
    store = services.read_models
    rows = store.partners() if point.is_now else store.register_at(point)
    rows.sort(key=lambda r: (r.name.casefold(), r.partner_id))
    day = point.day(services.registry.today(), timezone)
    context = {
        "overdue": {r.partner_id: overdue_warnings(r, day) for r in rows},
        "current": [r for r in rows if r.status not in ENDED],
        "ended": [r for r in rows if r.status == "terminated"],
        "withdrawn": [r for r in rows if r.status == "withdrawn"],
        "as_of": point.as_of.isoformat() if point.as_of else None,
        "known_at": _local(point.known_at, timezone) if point.known_at else None,
        "error": error,
        "chain_head": services.read_models.chain_head().sequence,
        "point_query": "" if error else _query(as_of=as_of, known_at=known_at),
        "chart": _chart(_register_by_month(services)),
        "colours": STATUS_COLOURS,
    }
    return page(request, "register.html", context, status_code=400 if error else 200)


@router.get("/register/{partner_id}", response_class=HTMLResponse)
def history_page(
    request: Request, partner_id: str, services: ServicesDep, as_of: AsOf = None,
    known_at: KnownAt = None,
) -> Response:  # fmt: skip
    """One partner's page: its standing and history, now or at a point in time.

    An id that is not a UUID names no partner: a not-found page, as for any
    other id no partner has.
    """
    timezone = services.settings.registry_timezone
    try:
        partner_id = str(UUID(partner_id))
    except ValueError:
        return _not_found(
            request, PartnerNotFoundError("No partner has the id %(id)r.", id=partner_id)
        )
    try:
        point = point_of(as_of, known_at, timezone)
    except InvalidPointInTimeError as refused:
        return _not_found(request, refused, status=400, heading="Not a point in time")
    if point.is_now:
        row = services.read_models.partner(partner_id)
        entries = services.read_models.partner_entries(partner_id)
    else:
        standing = services.read_models.partner_at(partner_id, point)
        row, entries = (standing.row, standing.entries) if standing else (None, [])
    if row is None:
        return _not_found(request, _not_registered(partner_id, point))
    today = point.day(services.registry.today(), timezone)
    overdue = overdue_warnings(row, today)
    data_of = decided(entries)
    context = {
        "partner": row,
        "entries": entries,
        "decided": data_of,
        "fates": warning_fates(
            entries, data_of, [w["warning_number"] for w in row.open_warnings], overdue, today
        ),
        "periods": status_periods(entries, today),
        "fate_words": FATES,
        "colours": STATUS_COLOURS,
        "corrects": {c["correction_version"]: c["corrected_version"] for c in row.corrections},
        "point": not point.is_now,
        "as_of": point.as_of.isoformat() if point.as_of else None,
        "known_at": _local(point.known_at, timezone) if point.known_at else None,
        "known_at_moment": point.known_at,
    }
    return page(request, "history.html", context)


_MONTHS: dict[tuple[int, str], list[Month]] = {}


def _register_by_month(services: Services) -> list[Month]:
    """The front page's chart, computed again only when the trail or the day moves on."""
    head = services.read_models.chain_head().sequence
    key = (head, services.registry.today().isoformat())
    if key not in _MONTHS:
        _MONTHS.clear()
        entries = list(services.read_models.all_verified())
        _MONTHS[key] = register_by_month(entries, services.registry.today())
    return _MONTHS[key]


def _chart(months: list[Month]) -> dict[str, object]:
    """The months and the bar geometry: each month a column, its statuses stacked."""
    tallest = max((sum(m.counts.values()) for m in months), default=0)
    return {"months": months, "tallest": tallest, "column": 1000 / max(len(months), 1),
            "statuses": list(STATUS_COLOURS)}  # fmt: skip


def _not_registered(partner_id: str, point: PointInTime) -> PartnerNotFoundError:
    if point.as_of is not None:
        return PartnerNotFoundError(
            "No partner with the id %(id)s was registered by the end of %(day)s.",
            id=partner_id,
            day=point.as_of,
        )
    if point.known_at is not None:
        return PartnerNotFoundError(
            "No partner with the id %(id)s had been recorded by %(moment)s.",
            id=partner_id,
            moment=point.known_at,
        )
    return PartnerNotFoundError("No partner has the id %(id)r.", id=partner_id)


def _not_found(
    request: Request, refused: RegistryError, status: int = 404, heading: str | None = None
) -> Response:
    detail = words_of(request).refusal(refused)
    return page(request, "not_found.html", {"detail": detail, "heading": heading}, status)


def _query(**given: str | None) -> str:
    """The point in time as a query string, so a partner's page opens at the same point."""
    return urlencode({name: value for name, value in given.items() if value})


def _local(moment: datetime, timezone: str) -> str:
    """A moment as the page's control shows it: in the registry's own zone."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, services: ServicesDep) -> Response:
    """The audit trail for people: how far it is verified, the latest entries, how to check it."""
    _, report = services.readiness.report()
    checkpoints = services.checkpoints.checkpoints()
    context = {
        "head": services.read_models.chain_head(),
        "entries": services.read_models.recent_verified(50),
        "checkpoint": checkpoints[-1] if checkpoints else None,
        "warnings": report["warnings"],
        "names": {r.partner_id: r.name for r in services.read_models.partners()},
    }
    return page(request, "audit.html", context)
