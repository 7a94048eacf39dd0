"""Public reads of the register and its audit trail: no authentication."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response

from projections.audit_trail import AuditEntry
from projections.current_partners import PartnerRow, overdue_warnings
from projections.point_in_time import PointInTime
from registry.api.deps import PointDep, ServicesDep
from registry.api.problems import ProblemError
from registry.api.schemas import (
    AuditEntryOut,
    AuditPage,
    ChainHeadOut,
    CheckpointOut,
    KeyAnnouncementOut,
    PartnerOut,
    PartnerPage,
    Problem,
    PublicKeyOut,
)
from registry.api.services import Services

router = APIRouter(tags=["public record"])

_NOT_FOUND: dict[int | str, dict[str, object]] = {
    404: {"model": Problem, "description": "No such partner."}
}
_INVALID: dict[int | str, dict[str, object]] = {
    422: {"model": Problem, "description": "A query parameter is invalid."}
}


@router.get("/partners", responses=_INVALID)
def list_partners(
    services: ServicesDep,
    point: PointDep,
    status: Annotated[
        Literal["active", "warned", "overdue", "suspended", "terminated", "withdrawn"] | None,
        Query(description="overdue: warned, with a deadline passed on the day asked about."),
    ] = None,
    q: Annotated[str | None, Query(max_length=200, description="Part of the name.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> PartnerPage:
    """The register, now or at a point in time: filter by status, search by name, page through.

    ``as_of`` counts the events effective by that day, ``known_at`` those
    recorded by that moment; together they say what the register said about
    a day as it was known then (the rule: ``projections/point_in_time.py``).
    """
    store = services.read_models
    day = _day_of(point, services)
    if point.is_now and status != "overdue":
        found, total = store.search(q, status, limit, offset)
        return PartnerPage(items=[_partner(r, day) for r in found], total=total, limit=limit,
                           offset=offset, as_of=None, known_at=None)  # fmt: skip
    rows = store.partners() if point.is_now else store.register_at(point)
    if status == "overdue":
        rows = [r for r in rows if overdue_warnings(r, day)]
    elif status is not None:
        rows = [r for r in rows if r.status == status]
    if q:
        wanted = q.casefold().strip()
        rows = [r for r in rows if wanted in r.name.casefold()]
    rows.sort(key=lambda r: (r.name.casefold(), r.partner_id))
    page = rows[offset : offset + limit]
    return PartnerPage(
        items=[_partner(r, day) for r in page], total=len(rows), limit=limit, offset=offset,
        as_of=point.as_of, known_at=point.known_at,
    )  # fmt: skip


@router.get("/partners/{partner_id}", responses=_NOT_FOUND)
def get_partner(
    partner_id: UUID, services: ServicesDep, point: PointDep, response: Response
) -> PartnerOut:
    """One partner, now (its ETag is its version, for If-Match on writes) or at a point in time."""
    if not point.is_now:
        standing = services.read_models.partner_at(str(partner_id), point)
        if standing is None:
            detail = f"No partner with the id {partner_id} was registered by then."
            raise ProblemError(404, "partner-not-found", detail)
        return _partner(standing.row, _day_of(point, services))
    row = _with_latest_write(services, partner_id)
    if row is None:
        raise _no_partner(partner_id)
    response.headers["ETag"] = f'"{row.version}"'
    return _partner(row, services.registry.today())


READ_YOUR_WRITES_WAIT = 2.0
"""Seconds a read of one partner waits for the read model to hold the store's latest write."""


def _with_latest_write(services: Services, partner_id: UUID) -> PartnerRow | None:
    """The partner's row once it holds the store's latest version: read-your-writes.

    A client that follows the Location of a 201 must see what it wrote. The
    read model trails the store by milliseconds, so the read waits for it
    (checking the store's version with one query, the row again after each
    change of the read models) rather than answering from the store: what
    is served is always the verified read model. A row
    still behind after the wait is served as it is (the projection is
    stalled, and /readyz says so).
    """
    latest = services.registry.latest_version(partner_id)
    deadline = time.monotonic() + READ_YOUR_WRITES_WAIT
    changes = services.read_model_changes
    while True:
        seen = changes.seen()
        row = services.read_models.partner(str(partner_id))
        caught_up = latest is None or (row is not None and row.version >= latest)
        remaining = deadline - time.monotonic()
        if caught_up or remaining <= 0:
            return row
        changes.wait_after(seen, remaining)


@router.get("/partners/{partner_id}/events", responses=_NOT_FOUND)
def partner_events(partner_id: UUID, services: ServicesDep) -> list[AuditEntryOut]:
    """A partner's whole history, from the verified audit trail."""
    entries = services.read_models.partner_entries(str(partner_id))
    if not entries:
        raise _no_partner(partner_id)
    return [_entry(e) for e in entries]


@router.get("/audit-trail", responses=_INVALID)
def audit_trail(
    services: ServicesDep,
    after: Annotated[int, Query(ge=0, description="Entries after this sequence.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPage:
    """The verified audit trail with chain hashes, page by page."""
    entries = services.read_models.verified_entries(after, limit)
    head = services.read_models.chain_head()
    return AuditPage(
        items=[_entry(e) for e in entries],
        after=after,
        limit=limit,
        next_after=entries[-1].sequence if len(entries) == limit else None,
        chain_head=ChainHeadOut(sequence=head.sequence, chain_hash=head.chain_hash),
    )


@router.get("/audit-trail/checkpoints")
def checkpoints(services: ServicesDep) -> list[CheckpointOut]:
    """Every signed checkpoint of the public record, oldest first."""
    return [CheckpointOut.model_validate(c.to_json()) for c in services.checkpoints.checkpoints()]


@router.get("/audit-trail/public-keys")
def public_keys(services: ServicesDep) -> list[PublicKeyOut]:
    """The keys checkpoints are signed with (the current one last): pin one to audit."""
    return [
        PublicKeyOut.model_validate({"key_id": k, "public_key": pem, "first_used": first})
        for k, pem, first in services.checkpoints.public_keys()
    ]


@router.get("/audit-trail/key-announcements")
def key_announcements(services: ServicesDep) -> list[KeyAnnouncementOut]:
    """Each signing key's announcement by the key before it: follow them from a pinned key."""
    return [
        KeyAnnouncementOut.model_validate(a.to_json()) for a in services.checkpoints.announcements()
    ]


def _partner(row: PartnerRow, day: date) -> PartnerOut:
    return PartnerOut.model_validate(
        row.to_json() | {"overdue_warnings": overdue_warnings(row, day)}
    )


def _day_of(point: PointInTime, services: Services) -> date:
    return point.day(services.registry.today(), services.settings.registry_timezone)


def _entry(entry: AuditEntry) -> AuditEntryOut:
    fields = asdict(entry)
    fields["event"] = json.loads(fields.pop("body"))
    return AuditEntryOut.model_validate(fields)


def _no_partner(partner_id: UUID) -> ProblemError:
    return ProblemError(404, "partner-not-found", f"No partner has the id {partner_id}.")
