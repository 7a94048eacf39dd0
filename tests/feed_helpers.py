"""Reading what the feed publisher wrote, as the API reads it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from registry.adapters.feed_folder import FeedReader


def published(folder: Path, name: str) -> bytes | None:
    """The bytes of a feed as last published in the folder (None: never published)."""
    version = FeedReader(folder).read(name)
    return None if version is None else version.body


def published_json(folder: Path, name: str = "current-partners.json") -> Any:
    """A JSON feed as last published, parsed (None: never published)."""
    body = published(folder, name)
    return None if body is None else orjson.loads(body)


def published_head(folder: Path) -> int:
    """The chain head the published JSON feed states (-1: never published)."""
    feed = published_json(folder)
    return -1 if feed is None else int(feed["chain_head"]["sequence"])
