"""The published feed files over HTTP, with ETag and Last-Modified."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from registry.adapters.feed_folder import FeedFolderError
from registry.api.deps import ServicesDep
from registry.api.feed_files import FEEDS, FeedFile
from registry.api.problems import ProblemError
from registry.api.schemas import Problem
from registry.api.services import Services

router = APIRouter(prefix="/feeds", tags=["feeds"])


FEED_NAMES = frozenset(FEEDS)
"""The feed files and the documents that describe them; any other name is not found (404)."""


@router.get(
    "/{name}",
    response_class=Response,
    responses={
        200: {
            "description": "The feed file.",
            "content": {media_type.split(";")[0]: {} for media_type in FEEDS.values()},
        },
        304: {"description": "Unchanged since the ETag or date you sent."},
        404: {"model": Problem, "description": "No feed has that name."},
        503: {"model": Problem, "description": "Not published yet, or its folder is damaged."},
    },
)
async def feed(
    name: str,
    services: ServicesDep,
    request: Request,
    if_none_match: Annotated[str | None, Header()] = None,
    if_modified_since: Annotated[str | None, Header()] = None,
) -> Response:
    """A feed file, answered 304 when the client already has this version.

    Served from memory on the event loop while the file is unchanged (most
    requests, as readers poll); reading a new version's parts goes to a
    worker thread, so that it holds up no other request, and the parts are
    sent one after another, never joined into one copy of the feed.
    """
    if name not in FEED_NAMES:
        known = ", ".join(sorted(FEED_NAMES))
        raise ProblemError(404, "feed-not-found", f"There is no feed {name!r}; there are {known}.")
    published = services.feeds.cached(name)
    if published is None:
        published = await run_in_threadpool(_read, services, name)
    validators = {
        "ETag": published.etag,
        "Last-Modified": published.last_modified,
        "Cache-Control": "public, max-age=0, must-revalidate",
    }
    if _unchanged(if_none_match, if_modified_since, published.etag, published.last_modified):
        return Response(status_code=304, headers=validators)
    return StreamingResponse(
        _sent(published.parts), media_type=published.media_type,
        headers=validators | {"Content-Length": str(published.size)},
    )  # fmt: skip


async def _sent(parts: tuple[bytes, ...]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def _read(services: Services, name: str) -> FeedFile:
    try:
        published = services.feeds.get(name)
    except FeedFolderError as error:
        raise ProblemError(503, "feed-unreadable", str(error), {"Retry-After": "5"}) from error
    if published is None:
        raise ProblemError(
            503, "feed-not-published", f"{name} has not been published yet.",
            {"Retry-After": "5"},
        )  # fmt: skip
    return published


def _unchanged(
    if_none_match: str | None, if_modified_since: str | None, etag: str, last_modified: str
) -> bool:
    """RFC 9110: If-None-Match wins; If-Modified-Since only when it is absent."""
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    return if_modified_since is not None and if_modified_since.strip() == last_modified
