"""Every error as RFC 9457 problem details: a status, a title and a precise detail.

Domain refusals map to statuses by class; malformed input is 400 or 422;
an unreachable database is 503; anything unexpected is a 500 whose detail
says nothing about the code (the traceback goes to the log, never to the
client).
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match

from registry.adapters.sqldb import DATABASE_UNAVAILABLE
from registry.api.templating import page
from registry.domain.exceptions import (
    ConcurrencyConflictError,
    DuplicatePartnerError,
    PartnerNotFoundError,
    PartnerTerminatedError,
    PartnerWithdrawnError,
    RegistryError,
    StaleVersionError,
)

log = structlog.get_logger(__name__)

MEDIA_TYPE = "application/problem+json"
_BY_ERROR: list[tuple[type[RegistryError], int, str]] = [
    (PartnerNotFoundError, 404, "partner-not-found"),
    (StaleVersionError, 412, "stale-version"),
    (ConcurrencyConflictError, 409, "concurrent-change"),
    (DuplicatePartnerError, 409, "duplicate-partner"),
    (PartnerTerminatedError, 409, "partner-terminated"),
    (PartnerWithdrawnError, 409, "partner-withdrawn"),
]


class ProblemError(Exception):
    """Raise to answer with a problem; ``headers`` are added to the response."""

    def __init__(
        self, status: int, slug: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.headers = headers or {}


def problem(request: Request, status: int, slug: str, detail: str, **extra: Any) -> Response:
    """A problem+json response; an HTML page for a browser (one that asks for text/html)."""
    if "text/html" in request.headers.get("accept", ""):
        context = {"heading": slug.replace("-", " ").capitalize(), "detail": detail,
                   "status": status}  # fmt: skip
        return page(request, "error.html", context, status_code=status)
    body = {
        "type": f"urn:partner-registry:problem:{slug}",
        "title": slug.replace("-", " ").capitalize(),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem details."""
    app.add_exception_handler(ProblemError, _api_problem)  # type: ignore[arg-type]
    app.add_exception_handler(RegistryError, _registry_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    for error in DATABASE_UNAVAILABLE:
        app.add_exception_handler(error, _store_down)
    app.add_exception_handler(Exception, _unexpected)


async def _api_problem(request: Request, error: ProblemError) -> Response:
    response = problem(request, error.status, error.slug, error.detail)
    response.headers.update(error.headers)
    return response


def status_of(error: RegistryError) -> tuple[int, str]:
    """The status and problem slug a refusal is answered with, in the API and in the forms."""
    for kind, status, slug in _BY_ERROR:
        if isinstance(error, kind):
            return status, slug
    return 422, _kebab(type(error).__name__.removesuffix("Error"))


async def _registry_error(request: Request, error: RegistryError) -> Response:
    status, slug = status_of(error)
    return problem(request, status, slug, str(error))


async def _invalid_request(request: Request, error: RequestValidationError) -> Response:
    errors = [
        {"location": list(e["loc"]), "message": e["msg"], "type": e["type"]} for e in error.errors()
    ]
    if any(e["type"] == "json_invalid" for e in errors):
        return problem(request, 400, "malformed-json", "The request body is not valid JSON.")
    detail = "; ".join(f"{'.'.join(map(str, e['location']))}: {e['message']}" for e in errors)
    return problem(
        request, 422, "invalid-request", detail, errors=json.loads(json.dumps(errors, default=str))
    )


async def _http_error(request: Request, error: HTTPException) -> Response:
    slugs = {404: "not-found", 405: "method-not-allowed", 413: "body-too-large"}
    slug = slugs.get(error.status_code, f"http-{error.status_code}")
    response = problem(request, error.status_code, slug, str(error.detail))
    response.headers.update(error.headers or {})
    if error.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        response.headers["Allow"] = ", ".join(allowed_methods(request))
    return response


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers on this path (HEAD wherever GET), for Allow on a 405.

    The router names only the first route whose path matched; a path served
    by several routes (GET and POST /partners) answers all of their methods.
    """
    routes = request.app.router.routes
    methods = {
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    }
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


async def _store_down(request: Request, error: Exception) -> Response:
    log.warning("database unavailable", path=request.url.path, error=str(error))
    response = problem(
        request, 503, "store-unavailable", "The registry's database cannot be reached; try again."
    )
    response.headers["Retry-After"] = "5"
    return response


async def _unexpected(request: Request, error: Exception) -> Response:
    log.error("unexpected error", path=request.url.path, exc_info=error)
    return problem(
        request, 500, "internal-error", "Something went wrong on our side; it is logged."
    )


def _kebab(name: str) -> str:
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in name).lstrip("-")
