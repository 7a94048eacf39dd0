"""Dependencies of the routes: the services, the authenticated actor, If-Match."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from registry.adapters.tokens import Actor, Permission
from registry.api.problems import ProblemError
from registry.api.services import Services

_bearer = HTTPBearer(auto_error=False, description="A token from `partner-registry token create`.")
_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')


def services(request: Request) -> Services:
    """The process's services."""
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]


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


def allowed(permission: Permission) -> Callable[[Actor], Actor]:
    """A dependency that lets through only actors whose role allows ``permission``."""

    def check(who: Annotated[Actor, Depends(actor)]) -> Actor:
        if not who.may(permission):
            raise ProblemError(
                403,
                "forbidden",
                f"A token with the role {who.role.value} may not {permission.value}.",
            )
        return who

    return check


Registrar = Annotated[Actor, Depends(allowed(Permission.REGISTER))]
Evaluator = Annotated[Actor, Depends(allowed(Permission.EVALUATE))]
Warner = Annotated[Actor, Depends(allowed(Permission.WARN))]
Terminator = Annotated[Actor, Depends(allowed(Permission.TERMINATE))]


def expected_version(
    if_match: Annotated[
        str | None,
        Header(description='The partner version you decided on, e.g. "3" (its ETag).'),
    ] = None,
) -> int | None:
    """The version an If-Match header names; None when absent or ``*``."""
    if if_match is None or if_match.strip() == "*":
        return None
    matched = _ETAG.match(if_match)
    if matched is None:
        raise ProblemError(400, "malformed-if-match", 'If-Match must be a version, e.g. "3".')
    return int(matched.group(1))


ExpectedVersion = Annotated[int | None, Depends(expected_version)]
