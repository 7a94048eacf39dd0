"""Checking, record by record in log order, that each one is what the log's key signed there.

Each record carries the signed checkpoint of the tree whose last leaf it is.
Whoever holds records 1 to n-1 appends record n's leaf to their copy of the
tree's right edge and compares roots: a signature that verifies with a
trusted key over a root that matches proves record n is the registry's, at
that place. After a gap or an altered record the tree is no longer known,
so roots are not compared further (signatures still are).
"""

from __future__ import annotations

from collections.abc import Sequence

from registry.record.merkle import Frontier, leaf_hash
from registry.record.messages import PublishedEvent
from registry.record.note import NoteError, Verifier, open_note
from registry.record.tree_head import TreeHeadError, parse


class SignedHeads:
    """The tree as far as the records in hand build it, and the trusted log keys."""

    def __init__(self, verifiers: Sequence[Verifier] | None) -> None:
        self._verifiers = list(verifiers) if verifiers is not None else None
        self._frontier: Frontier | None = Frontier()

    def lose_track(self) -> None:
        """Records are missing: the tree beyond them cannot be rebuilt."""
        self._frontier = None

    def check(self, event: PublishedEvent, canonical: bytes) -> list[tuple[str, str]]:
        """What is wrong with the next record's signed head: (kind, detail) pairs."""
        if self._frontier is not None:
            self._frontier.append(leaf_hash(canonical))
        if self._verifiers is None:
            return []
        if not event.checkpoint:
            return [("unsigned", "carries no signed checkpoint (ce_checkpoint)")]
        try:
            text, _ = open_note(event.checkpoint, self._verifiers)
            head = parse(text)
        except (NoteError, TreeHeadError) as error:
            return [("forged", f"its checkpoint does not verify with a trusted key: {error}")]
        if head.size != event.sequence:
            return [("misplaced", f"its checkpoint is of a tree of {head.size} records")]
        if self._frontier is not None and head.root_hash != self._frontier.root():
            self._frontier = None
            return [("altered", "the signed tree does not end in this record as received")]
        return []
