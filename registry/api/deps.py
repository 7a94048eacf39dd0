"""What routes depend on: the services, the actor, If-Match, the point in time asked about.

Dependencies that only look at the request are ``async``: FastAPI runs a
plain ``def`` dependency in its thread pool, and those hand-overs were a
fifth of the server's CPU under load (py-spy, 2026-12-03). Only ``actor``,
which may ask the database, stays a plain function.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from projections.point_in_time import PointInTime
from registry.adapters.tokens import Actor, Permission
from registry.api.problems import ProblemError
from registry.api.services import Services
from registry.domain.exceptions import InvalidPointInTimeError
from registry.service.clock import moment_in

_bearer = HTTPBearer(auto_error=False, description="A token from `partner-registry token create`.")
_ETAG = re.compile(r'^\s*"?(\d{1,9})"?\s*$')


async def services(request: Request) -> Services:
    """The process's services."""
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


async def point_in_time(
    services: ServicesDep,
    as_of: Annotated[
        str | None, Query(max_length=10, description="Effective by this day (YYYY-MM-DD).")
    ] = None,
    known_at: Annotated[
        str | None,
        Query(max_length=40, description="As recorded by this moment (ISO 8601; a bare date is "
              "the end of that day; without an offset, in the registry's time zone)."),
    ] = None,
) -> PointInTime:  # fmt: skip
    """The point in time a read asks about; both parts optional (none: the register now)."""
    try:
        return point_of(as_of, known_at, services.settings.registry_timezone)
    except ValueError as error:
        raise ProblemError(422, "invalid-point-in-time", str(error)) from None


def point_of(as_of: str | None, known_at: str | None, timezone: str) -> PointInTime:
    """Parse the two times a reader may give; ValueError says which is malformed and how."""
    return PointInTime(
        as_of=_day(as_of) if as_of else None,
        known_at=moment_in(known_at, timezone) if known_at else None,
    )


def _day(text: str) -> date:
    """A calendar day, written only as YYYY-MM-DD (not a Unix time, not a week date)."""
    if not _DAY.match(text):
        raise InvalidPointInTimeError("as_of %(text)r is not a date; use YYYY-MM-DD", text=text)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidPointInTimeError(
            "as_of %(text)r is not a day of the calendar", text=text
        ) from None


PointDep = Annotated[PointInTime, Depends(point_in_time)]


def actor(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    services: ServicesDep,
    request: Request,
) -> Actor:
    """The actor of a valid bearer token, or 401."""
    challenge = {"WWW-Authenticate": 'Bearer realm="partner-registry"'}
    if credentials is None:
        raise ProblemError(401, "unauthenticated", "Send a bearer token.", challenge)
    found = services.tokens.authenticate(credentials.credentials)
    if found is None:
        raise ProblemError(401, "unauthenticated", "The token is unknown or revoked.", challenge)
    request.state.actor = found
    return found


def allowed(permission: Permission) -> Callable[[Actor], Awaitable[Actor]]:
    """A dependency that lets through only actors whose role allows ``permission``."""

    async def check(who: Annotated[Actor, Depends(actor)]) -> Actor:
        if not who.may(permission):
            raise ProblemError(
                403,
                "forbidden",
                f"A token with the role {who.role.value} may not {permission.value}.",
            )
        return who

    return check


Registrar = Annotated[Actor, Depends(allowed(Permission.REGISTER))]
Amender = Annotated[Actor, Depends(allowed(Permission.AMEND))]
Corrector = Annotated[Actor, Depends(allowed(Permission.CORRECT))]
Evaluator = Annotated[Actor, Depends(allowed(Permission.EVALUATE))]
Warner = Annotated[Actor, Depends(allowed(Permission.WARN))]
Terminator = Annotated[Actor, Depends(allowed(Permission.TERMINATE))]
Suspender = Annotated[Actor, Depends(allowed(Permission.SUSPEND))]
WithdrawalRecorder = Annotated[Actor, Depends(allowed(Permission.RECORD_WITHDRAWAL))]
ObjectionRecorder = Annotated[Actor, Depends(allowed(Permission.LODGE_OBJECTION))]
ObjectionDecider = Annotated[Actor, Depends(allowed(Permission.DECIDE_OBJECTION))]
RuleRecorder = Annotated[Actor, Depends(allowed(Permission.RECORD_RULES))]


async def expected_version(
    if_match: Annotated[
        str | None,
        Header(description='The partner version you decided on, e.g. "3" (its ETag).'),
    ] = None,
) -> int | None:
    """The version an If-Match header names; None when absent or ``*``.

    If-Match compares strongly (RFC 9110 13.1.1): a weak tag never matches,
    so a write naming one is refused as a failed precondition.
    """
    if if_match is None or if_match.strip() == "*":
        return None
    if if_match.strip().startswith("W/"):
        raise ProblemError(412, "weak-if-match", "If-Match needs a strong entity tag, e.g. \"3\"; "
                           "a weak one (W/...) never matches for a write.")  # fmt: skip
    matched = _ETAG.match(if_match)
    if matched is None:
        raise ProblemError(400, "malformed-if-match", 'If-Match must be a version, e.g. "3".')
    return int(matched.group(1))


ExpectedVersion = Annotated[int | None, Depends(expected_version)]

_JSON_MEDIA = re.compile(r"^application/(?:[\w.+-]+\+)?json\s*(?:;.*)?$", re.IGNORECASE)


async def json_body(request: Request) -> None:
    """Refuse a body sent as anything but JSON with 415, before it is read or validated."""
    declared = request.headers.get("content-type")
    if declared is not None and not _JSON_MEDIA.match(declared.strip()):
        raise ProblemError(
            415, "unsupported-media-type",
            f"The body must be JSON (Content-Type: application/json), not {declared!r}.",
            {"Accept-Post": "application/json"},
        )  # fmt: skip
