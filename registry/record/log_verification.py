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

from registry.record.cosignature import Cosigner, cosigned_by
from registry.record.merkle import Frontier, leaf_hash
from registry.record.messages import PublishedEvent
from registry.record.note import NoteError, Verifier, open_note, split
from registry.record.tree_head import TreeHead, TreeHeadError, parse


def signed_head_problem(
    event: PublishedEvent, verifiers: Sequence[Verifier]
) -> tuple[str, str] | None:
    """What is wrong with a record's signed checkpoint on its own, or None.

    Checked on arrival, before anything else: the checkpoint is there, a
    trusted key signed it, and it is of the tree this record ends. Whether
    the tree's root is this record's can only be checked in log order.
    """
    if not event.checkpoint:
        return "unsigned", f"sequence {event.sequence} carries no signed checkpoint"
    try:
        text, _ = open_note(event.checkpoint, verifiers)
        head = parse(text)
    except (NoteError, TreeHeadError) as error:
        return "forged", f"sequence {event.sequence}: its checkpoint does not verify ({error})"
    if head.size != event.sequence:
        return "misplaced", (
            f"sequence {event.sequence} carries the checkpoint of a tree of {head.size} records"
        )
    return None


def signed_root(event: PublishedEvent) -> bytes:
    """The root hash the record's (already verified) checkpoint states."""
    return note_root(event.checkpoint)


def note_root(checkpoint: str) -> bytes:
    """The root hash a signed checkpoint states (its signature checked elsewhere)."""
    text, _ = split(checkpoint)
    return parse(text).root_hash


def signed_head(
    checkpoint: str, verifiers: Sequence[Verifier], cosigners: Sequence[Cosigner], quorum: int
) -> tuple[TreeHead, list[tuple[str, str]]]:
    """The tree head a checkpoint states, and what is wrong with it: (kind, detail) pairs.

    The log's pinned key must have signed it, and ``quorum`` of the pinned
    witnesses cosigned it; a checkpoint that is not even a checkpoint raises
    NoteError or TreeHeadError.
    """
    text, _ = split(checkpoint)
    head = parse(text)
    problems = []
    try:
        open_note(checkpoint, verifiers)
    except NoteError:
        problems.append(
            ("forged", f"the checkpoint of size {head.size} is not signed by the log's key")
        )
    witnesses = cosigned_by(checkpoint, cosigners)
    if len(witnesses) < quorum:
        named = ", ".join(w.name for w in witnesses) or "none"
        problems.append(("unwitnessed", (
            f"the checkpoint of size {head.size} is cosigned by {len(witnesses)} of the "
            f"{quorum} witnesses required ({named})"
        )))  # fmt: skip
    return head, problems


class SignedHeads:
    """The tree as far as the records in hand build it, and the trusted log keys."""

    def __init__(self, verifiers: Sequence[Verifier] | None) -> None:
        self._verifiers = list(verifiers) if verifiers is not None else None
        self._frontier: Frontier | None = Frontier()

    def lose_track(self) -> None:
        """Records are missing: the tree beyond them cannot be rebuilt."""
        self._frontier = None

    def root(self) -> bytes | None:
        """The root of the tree of the records so far, unless records are missing."""
        return None if self._frontier is None else self._frontier.root()

    def check(self, event: PublishedEvent, canonical: bytes) -> list[tuple[str, str]]:
        """What is wrong with the next record's signed head: (kind, detail) pairs."""
        if self._frontier is not None:
            self._frontier.append(leaf_hash(canonical))
        if self._verifiers is None:
            return []
        problem = signed_head_problem(event, self._verifiers)
        if problem is not None:
            return [problem]
        if self._frontier is not None and signed_root(event) != self._frontier.root():
            self._frontier = None
            return [("altered", "the signed tree does not end in this record as received")]
        return []
