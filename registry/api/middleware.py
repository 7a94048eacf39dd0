"""Request-level concerns: caps on header and body size, and a log line and metrics per request."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable

import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.api.metrics import ApiMetrics

log = structlog.get_logger(__name__)


class BodyLimit:
    """Refuse headers over ``max_header_bytes`` (431) and bodies over ``max_bytes`` (413).

    The body is read here first (it is small by definition) and handed on
    whole, so a streamed body that grows too large is refused before any
    route sees it.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, max_header_bytes: int) -> None:
        self._app = app
        self._max = max_bytes
        self._max_headers = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count what actually arrives."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        header_bytes = sum(len(name) + len(value) + 4 for name, value in scope["headers"])
        if header_bytes > self._max_headers:
            detail = f"The request headers are larger than {self._max_headers} bytes."
            await _problem(scope, send, 431, "headers-too-large", detail)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self._max):
            await self._refuse(scope, send, bad_length=not declared.isdigit())
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if len(body) > self._max:
                await self._refuse(scope, send, bad_length=False)
                return
            if not message.get("more_body", False):
                break
        await self._app(scope, _replay(bytes(body), receive), send)

    async def _refuse(self, scope: Scope, send: Send, *, bad_length: bool) -> None:
        status, slug, detail = (
            (400, "bad-length", "Content-Length is not a number.")
            if bad_length
            else (413, "body-too-large", f"The request body is larger than {self._max} bytes.")
        )
        await _problem(scope, send, status, slug, detail)


async def _problem(scope: Scope, send: Send, status: int, slug: str, detail: str) -> None:
    """Answer with a problem document before any route runs."""
    body = json.dumps(
        {
            "type": f"urn:partner-registry:problem:{slug}",
            "title": slug.replace("-", " ").capitalize(),
            "status": status,
            "detail": detail,
            "instance": scope.get("path"),
        }
    ).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


Handler = Callable[[Request], Awaitable[Response]]


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that yields the already-read body once, then defers to the client."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


class HeadAsGet:
    """Answer HEAD wherever GET is answered: the same status and headers, without the body.

    RFC 9110 (9.3.2) asks servers to answer HEAD as GET; the web framework
    routes only the methods declared, so HEAD is run as GET here and the
    body dropped on the way out (its Content-Length kept, as for GET).
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run a HEAD request as GET and send only the start of the response."""
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self._app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] != "http.response.body":
                await send(message)
            elif not message.get("more_body", False):
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        await self._app({**scope, "method": "GET"}, receive, headers_only)


class Observe:
    """Log each request (never headers or bodies) and count it, as plain ASGI (no copying)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self._app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request and note the status the app answered with."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def noting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, noting)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        route = getattr(scope.get("route"), "path", "unmatched")
        method = scope["method"]
        self._metrics.requests.labels(method, route, str(status)).inc()
        self._metrics.latency.labels(method, route).observe(elapsed)
        actor = scope.get("state", {}).get("actor")
        log.info(
            "request", method=method, route=route, status=status,
            duration_ms=round(elapsed * 1000, 1), actor=actor.name if actor else None,
        )  # fmt: skip
