"""Reading the log the way a tlog-tiles client does: the checkpoint, then the entry bundles.

Nothing but the registry's base URL is needed (a CDN or a static mirror of
``/log/`` serves as well). Bundles are fetched a few at a time, in order,
so the download overlaps the checking instead of waiting for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx

from registry.record.tiles import TILE_WIDTH, bundle_entries, entries_path

PREFETCH = 4


class LogUnavailableError(ConnectionError):
    """The log's HTTP server did not give what was asked (worth trying again later)."""


class HttpLog:
    """A transparency log served over HTTP under ``<base>/log/``."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def checkpoint(self) -> str:
        """The signed checkpoint the log serves now."""
        return self.get("log/checkpoint").decode()

    def bundles(self, size: int) -> Iterator[bytes]:
        """The raw entry bundles of a tree of ``size`` leaves, in order."""
        paths = [entries_path(i, min(TILE_WIDTH, size - i * TILE_WIDTH))
                 for i in range(-(-size // TILE_WIDTH))]  # fmt: skip
        with ThreadPoolExecutor(PREFETCH) as pool:
            yield from pool.map(lambda path: self.get(f"log/{path}"), paths)

    def leaves(self, size: int) -> Iterator[bytes]:
        """The first ``size`` leaves (records' canonical bytes), in order."""
        for index, bundle in enumerate(self.bundles(size)):
            entries = bundle_entries(bundle)
            expected = min(TILE_WIDTH, size - index * TILE_WIDTH)
            if len(entries) != expected:
                msg = f"entry bundle {index} holds {len(entries)} entries, not {expected}"
                raise ValueError(msg)
            yield from entries

    def get(self, path: str) -> bytes:
        """The bytes the log serves at ``path`` (relative to the base URL)."""
        try:
            response = self._client.get(path)
        except httpx.HTTPError as error:
            raise LogUnavailableError(f"{path}: {error}") from error
        if not response.is_success:
            raise LogUnavailableError(f"{path}: HTTP {response.status_code}")
        return response.content
