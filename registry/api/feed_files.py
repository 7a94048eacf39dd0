"""Serving the published feed files, with validators for conditional requests.

The feed publisher writes the files; the API only reads them. Each file's
bytes and strong ETag are kept in memory until the file changes (its size
or modification time), so a request costs a stat, and a conditional
request that matches is answered 304 without touching the body.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

FEEDS = {
    "current-partners.json": "application/json",
    "current-partners.csv": "text/csv; charset=utf-8",
    "changes.atom": "application/atom+xml",
    "current-partners.schema.json": "application/schema+json",
    "current-partners.csv-metadata.json": "application/csvm+json",
}


@dataclass(frozen=True)
class FeedFile:
    """One version of a feed file."""

    body: bytes
    etag: str
    last_modified: str
    media_type: str
    stamp: tuple[int, int]


class FeedFiles:
    """The feed folder, read through an in-memory cache."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._cache: dict[str, FeedFile] = {}
        self._lock = threading.Lock()

    def cached(self, name: str) -> FeedFile | None:
        """The feed file if what is in memory is still its current version, else None.

        Costs a stat, never a read: a server's event loop may ask it.
        """
        try:
            status = (self._directory / name).stat()
        except FileNotFoundError:
            return None
        cached = self._cache.get(name)
        return cached if cached is not None and cached.stamp == _stamp(status) else None

    def get(self, name: str) -> FeedFile | None:
        """The current version of a feed file, or None if not (yet) published."""
        held = self.cached(name)
        if held is not None:
            return held
        path = self._directory / name
        try:
            status = path.stat()
        except FileNotFoundError:
            return None
        body = path.read_bytes()
        fresh = FeedFile(
            body=body,
            etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"',
            last_modified=formatdate(status.st_mtime, usegmt=True),
            media_type=FEEDS[name],
            stamp=_stamp(status),
        )
        with self._lock:
            self._cache[name] = fresh
        return fresh


def _stamp(status: os.stat_result) -> tuple[int, int]:
    """What changes when the publisher replaces a file: its modification time and size."""
    return status.st_mtime_ns, status.st_size
