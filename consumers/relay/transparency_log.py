"""The relay's side of the transparency log: append what it publishes, sign each new head.

Every record the relay publishes carries a checkpoint (a C2SP signed note)
of the tree whose last leaf it is, so any consumer can check, record by
record and without asking anyone, that the record is the one the registry
signed at that place in the log. The log's rows are kept once Kafka has
acknowledged the batch; a batch that failed to send is signed again, the
same way (Ed25519 signatures are deterministic), when it is re-sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.adapters.log_store import LogStore, Node
from registry.record import note
from registry.record.chain import canonical_json
from registry.record.merkle import Frontier, leaf_hash
from registry.record.messages import PublishedEvent
from registry.record.tree_head import TreeHead


@dataclass
class _Pending:
    first: int = 0
    leaves: list[bytes] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    size: int = 0
    note: str = ""


class TransparencyLog:
    """Signs the tree head after each record the relay publishes, and keeps the log."""

    def __init__(self, store: LogStore, key: Ed25519PrivateKey, origin: str) -> None:
        self._store = store
        self._signer = note.Signer.of(origin, key)
        self._origin = origin
        self._frontier: Frontier | None = None
        self._pending = _Pending()

    def sign(self, events: Sequence[PublishedEvent]) -> list[str]:
        """The signed checkpoint of each event's tree, in order (kept once ``commit`` is called)."""
        if not events:
            return []
        frontier = self._frontier_at(events[0].sequence - 1)
        pending = _Pending(first=frontier.size)
        notes = []
        for event in events:
            leaf = event.canonical or canonical_json(event.record)
            pending.nodes.extend(frontier.append(leaf_hash(leaf)))
            pending.leaves.append(leaf)
            body = TreeHead(self._origin, frontier.size, frontier.root()).body()
            notes.append(note.signed_note(body, [self._signer.sign(body)]))
        pending.size, pending.note = frontier.size, notes[-1]
        self._pending = pending
        return notes

    def commit(self) -> None:
        """Keep what the last ``sign`` appended: Kafka has acknowledged it."""
        pending = self._pending
        if pending.leaves:
            self._store.append(pending.first, pending.leaves, pending.nodes, pending.size,
                               pending.note)  # fmt: skip
        self._pending = _Pending()

    def forget(self) -> None:
        """Drop what is not kept (the send failed); the next ``sign`` starts from the store."""
        self._frontier = None
        self._pending = _Pending()

    def close(self) -> None:
        """Release the connections."""
        self._store.close()

    def _frontier_at(self, size: int) -> Frontier:
        if self._frontier is None or self._frontier.size != size:
            self._frontier = Frontier.of(self._store, size)
        return self._frontier
