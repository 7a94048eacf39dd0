"""The relay's side of the transparency log: append what it publishes, sign each new head.

Every record the relay publishes carries a checkpoint (a C2SP signed note)
of the tree whose last leaf it is, so any consumer can check, record by
record and without asking anyone, that the record is the one the registry
signed at that place in the log. Signing a batch only computes: its rows
are kept once Kafka has acknowledged the batch, and a batch that failed to
send is signed again, the same way (Ed25519 signatures are deterministic),
when it is re-sent. Only the signing needs the key and none of the store, so
it may happen in a helper process (``signing_ahead``) given the tree's right
edge (``Frontier``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.adapters.log_store import LogStore, Node
from registry.record import note
from registry.record.chain import canonical_json
from registry.record.merkle import Frontier, leaf_hash
from registry.record.messages import PublishedEvent
from registry.record.tree_head import TreeHead


@dataclass(frozen=True)
class LogRows:
    """What one signed batch adds to the log: its leaves, the subtrees they complete, its head."""

    first: int
    leaves: list[bytes]
    nodes: list[Node]
    size: int
    note: str


@dataclass(frozen=True)
class SignedLeaves:
    """Leaves appended to a tree: the checkpoint after each, the subtrees completed, the edge."""

    notes: list[str]
    nodes: list[Node]
    frontier: Frontier


class TreeSigner:
    """Appends leaves to a tree's right edge and signs the checkpoint after each.

    Needs nothing but the key: it runs where the relay is, or in a helper
    process (``signing_ahead``).
    """

    def __init__(self, key: Ed25519PrivateKey, origin: str) -> None:
        self._signer = note.Signer.of(origin, key)
        self._origin = origin

    def sign(self, frontier: Frontier, leaf_hashes: Sequence[bytes]) -> SignedLeaves:
        """The leaves (by their hashes) appended to (a copy of) ``frontier``, each head signed."""
        frontier = frontier.copy()
        nodes, notes = [], []
        for leaf in leaf_hashes:
            nodes.extend(frontier.append(leaf))
            body = TreeHead(self._origin, frontier.size, frontier.root()).body()
            notes.append(note.signed_note(body, [self._signer.sign(body)]))
        return SignedLeaves(notes, nodes, frontier)


class TransparencyLog:
    """The relay's log: signs the tree head after each record it publishes, keeps the rows."""

    def __init__(self, store: LogStore, key: Ed25519PrivateKey, origin: str) -> None:
        self._store = store
        self.signer = TreeSigner(key, origin)
        self._frontier: Frontier | None = None

    def sign(
        self, events: Sequence[PublishedEvent], signed: SignedLeaves | None = None
    ) -> tuple[list[str], LogRows]:
        """The signed checkpoint of each event's tree, in order, and the rows to keep.

        ``signed``: the events' leaves as signed elsewhere, from this log's
        frontier (``frontier``), taken as they are.
        """
        leaves = leaves_of(events)
        first = events[0].sequence - 1
        if signed is None:
            signed = self.signer.sign(self._frontier_at(first), [leaf_hash(x) for x in leaves])
        self._frontier = signed.frontier
        rows = LogRows(first, leaves, signed.nodes, signed.frontier.size, signed.notes[-1])
        return signed.notes, rows

    def keep(self, rows: LogRows) -> None:
        """Keep a signed batch's rows: Kafka has acknowledged it."""
        self._store.append(rows.first, rows.leaves, rows.nodes, rows.size, rows.note)

    def frontier(self) -> Frontier | None:
        """The right edge of the tree as last signed, to sign the next leaves from elsewhere."""
        return self._frontier

    def forget(self) -> None:
        """Drop what was signed and not kept (the send failed): sign again from the store."""
        self._frontier = None

    def close(self) -> None:
        """Release the connections."""
        self._store.close()

    def _frontier_at(self, size: int) -> Frontier:
        if self._frontier is None or self._frontier.size != size:
            self._frontier = Frontier.of(self._store, size)
        return self._frontier


def leaves_of(events: Sequence[PublishedEvent]) -> list[bytes]:
    """The log's leaves for these events: each record's canonical JSON."""
    return [event.canonical or canonical_json(event.record) for event in events]
