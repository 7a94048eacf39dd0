"""Where proofs come from: the registry over HTTP, or the log's own tables.

Either way the caller gets the signed checkpoint, a leaf, and the RFC 9162
proofs as bytes, and checks them itself: a proof is worth only what its
verification against a signed root is worth.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Protocol

import httpx
import orjson

from consumers.audit.tiles_reader import HttpLog
from registry.record import merkle
from registry.record.tiles import TILE_WIDTH, bundle_entries, entries_path

if TYPE_CHECKING:
    from registry.adapters.log_store import LogStore


class ProofSource(Protocol):
    """The signed log as seen by whoever asks for proofs."""

    def checkpoint(self) -> str: ...

    def leaf(self, index: int, size: int) -> bytes: ...

    def inclusion(self, index: int, size: int) -> list[bytes]: ...

    def consistency(self, old: int, new: int) -> list[bytes]: ...


class HttpProofs:
    """Proofs served by a registry (``GET /log/...``)."""

    def __init__(self, client: httpx.Client) -> None:
        self._log = HttpLog(client)

    def checkpoint(self) -> str:
        """The checkpoint served now."""
        return self._log.checkpoint()

    def leaf(self, index: int, size: int) -> bytes:
        """Leaf ``index``, read from its entry bundle in the tree of ``size``."""
        tile = index // TILE_WIDTH
        width = min(TILE_WIDTH, size - tile * TILE_WIDTH)
        bundle = self._log.get(f"log/{entries_path(tile, width)}")
        return bundle_entries(bundle)[index % TILE_WIDTH]

    def inclusion(self, index: int, size: int) -> list[bytes]:
        """The served inclusion proof."""
        return self._proof("log/proof/inclusion", {"index": index, "size": size})

    def consistency(self, old: int, new: int) -> list[bytes]:
        """The served consistency proof."""
        return self._proof("log/proof/consistency", {"old": old, "new": new})

    def _proof(self, path: str, params: dict[str, int]) -> list[bytes]:
        query = "&".join(f"{name}={value}" for name, value in params.items())
        answer = orjson.loads(self._log.get(f"{path}?{query}"))
        return [base64.b64decode(h) for h in answer["proof"]]


class LocalProofs:
    """Proofs computed from the log's tables beside the event store (the operator's view)."""

    def __init__(self, store: LogStore) -> None:
        self._store = store

    def checkpoint(self) -> str:
        """The newest signed checkpoint kept."""
        latest = self._store.published(0)
        if latest is None:
            raise LookupError("the log has no signed checkpoint yet")
        return latest[1]

    def leaf(self, index: int, size: int) -> bytes:
        """Leaf ``index``."""
        (leaf,) = self._store.leaves(index, 1)
        return leaf

    def inclusion(self, index: int, size: int) -> list[bytes]:
        """The inclusion proof, computed."""
        return merkle.inclusion_proof(self._store, size, index)

    def consistency(self, old: int, new: int) -> list[bytes]:
        """The consistency proof, computed."""
        return merkle.consistency_proof(self._store, new, old)
