"""Serving the published feeds, with validators for conditional requests.

The feed publisher writes the feed folder (``registry.adapters.feed_folder``);
the API only reads it. Each feed's parts and strong ETag (its manifest's
digest: the parts are named by theirs) are kept in memory until its manifest
is replaced, so a request costs a stat, and a conditional request that
matches is answered 304 without touching the body. The parts are sent as
they are, never joined: joining a 100,000-partner feed copied 84 MB with
the interpreter lock held, every request waiting behind it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from email.utils import formatdate
from functools import cached_property
from pathlib import Path

from registry.adapters.feed_folder import FeedReader, FeedVersion

FEEDS = {
    "current-partners.json": "application/json",
    "current-partners.csv": "text/csv; charset=utf-8",
    "changes.atom": "application/atom+xml",
    "current-partners.schema.json": "application/schema+json",
    "current-partners.csv-metadata.json": "application/csvm+json",
}


@dataclass(frozen=True)
class FeedFile:
    """One version of a feed, with the validators and the media type it is served with."""

    version: FeedVersion
    etag: str
    last_modified: str
    media_type: str

    @property
    def parts(self) -> tuple[bytes, ...]:
        """The feed's bytes, in the parts they are sent in."""
        return self.version.parts

    @cached_property
    def size(self) -> int:
        """The feed's length in bytes."""
        return sum(map(len, self.parts))

    @property
    def body(self) -> bytes:
        """The feed's bytes, joined (a copy: for reading it whole, not for sending it)."""
        return self.version.body


class FeedFiles:
    """The feed folder, read through an in-memory cache."""

    def __init__(self, directory: Path) -> None:
        self._folder = FeedReader(directory)
        self._cache: dict[str, FeedFile] = {}
        self._lock = threading.Lock()

    def cached(self, name: str) -> FeedFile | None:
        """The feed if what is in memory is still its current version, else None.

        Costs a stat, never a read: a server's event loop may ask it.
        """
        stamp = self._folder.stamp(name)
        cached = self._cache.get(name)
        return cached if cached is not None and cached.version.stamp == stamp else None

    def get(self, name: str) -> FeedFile | None:
        """The current version of a feed, or None if not (yet) published."""
        held = self.cached(name)
        if held is not None:
            return held
        version = self._folder.read(name)
        if version is None:
            return None
        fresh = FeedFile(
            version=version,
            etag=f'"{version.digest}"',
            last_modified=formatdate(version.modified, usegmt=True),
            media_type=FEEDS[name],
        )
        with self._lock:
            self._cache[name] = fresh
        return fresh
