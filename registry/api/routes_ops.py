"""Operations: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from registry.api.deps import ServicesDep

router = APIRouter(tags=["operations"])


@router.get("/livez")
def livez() -> dict[str, str]:
    """The process is up and answering (restart it if not); says nothing of the data."""
    return {"status": "ok"}


@router.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    """The former name of /livez, kept for existing probes."""
    return livez()


@router.get(
    "/readyz",
    responses={503: {"description": "Not serving current data; the reasons are in the body."}},
)
def readyz(services: ServicesDep) -> JSONResponse:
    """Whether this instance serves current data, from the last check (at most a second old).

    Not ready while a database is unreachable, the read models or the feed
    trail the event store by more than READY_MAX_LAG_EVENTS or
    READY_MAX_AGE_SECONDS, or a part of the pipeline is silent or waiting
    out a fault. Ready but "degraded" (200, with ``warnings``) while serving
    what it verified after refusing records that failed verification.
    """
    ready, checks = services.readiness.report()
    reasons, warnings = checks.pop("reasons"), checks.pop("warnings")
    status = ("degraded" if warnings else "ready") if ready else "not ready"
    body: dict[str, Any] = {
        "status": status, "reasons": reasons, "warnings": warnings, "checks": checks,
    }  # fmt: skip
    return JSONResponse(body, status_code=200 if ready else 503, headers=_NO_STORE)


_NO_STORE = {"Cache-Control": "no-store"}


@router.get("/metrics", response_class=Response)
def metrics(services: ServicesDep) -> Response:
    """Prometheus text format: requests, events recorded, relay and projection lag."""
    return Response(services.metrics.render(), media_type=CONTENT_TYPE_LATEST)
