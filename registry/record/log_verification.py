"""Checking, record by record in log order, that each one is what the log's key signed there.

Each record carries the signed checkpoint of the tree whose last leaf it is.
Whoever holds records 1 to n-1 appends record n's leaf to their copy of the
tree's right edge and compares roots: a signature that verifies with a
trusted key over a root that matches proves record n is the registry's, at
that place. After a gap or an altered record the tree is no longer known,
so roots are not compared further (signatures still are).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import TYPE_CHECKING

from registry.record.chain import canonical_json
from registry.record.cosignature import Cosigner, cosigned_by
from registry.record.merkle import Frontier, leaf_hash
from registry.record.note import DASH, NoteError, Verifier, open_note, split
from registry.record.tree_head import TreeHead, TreeHeadError, parse

if TYPE_CHECKING:
    from registry.record.messages import PublishedEvent


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


def header_problem(event: PublishedEvent, signers: tuple[str, ...]) -> tuple[str, str] | None:
    """What is visibly wrong with a record's checkpoint, without checking its signature.

    Cheap enough for every record: it is there, it is of the tree this
    record ends, and one of its signature lines begins with a trusted key's
    name and hash (``signers``: each such beginning, from ``signature_starts``).
    The signature itself is checked once per run. Every record of the
    replay and the runner passes here, so nothing is copied out of the note
    and the first signature line (the log's own, as the relay signs) is
    looked at first.
    """
    checkpoint = event.checkpoint
    if not checkpoint:
        return "unsigned", f"sequence {event.sequence} carries no signed checkpoint"
    if not checkpoint.startswith(f"\n{event.sequence}\n", checkpoint.find("\n")):
        return "misplaced", (
            f"sequence {event.sequence} carries the checkpoint of another tree size"
        )
    cut = checkpoint.rfind("\n\n")
    block = cut + 2
    if cut < 0 or len(checkpoint) == block or not checkpoint.endswith("\n"):
        return "forged", f"sequence {event.sequence}: its checkpoint has no signature block"
    if not checkpoint.startswith(signers, block) and not any(
        line.startswith(signers) for line in checkpoint[block:].split("\n")
    ):
        return "forged", f"sequence {event.sequence}: no trusted key signed its checkpoint"
    return None


def signature_starts(verifiers: Sequence[Verifier]) -> tuple[str, ...]:
    """How a signature line by each verifier begins: its name, then its key hash in base64.

    The key hash is four bytes: the first five base64 characters hold its
    first 30 bits, and the sixth its last two bits with the signature's first
    four, so each of the sixteen sixth characters those four bits can make is
    allowed.
    """
    return tuple(
        f"{DASH}{v.name} {base64.b64encode(v.key_hash + bytes([high << 4, 0])).decode()[:6]}"
        for v in verifiers
        for high in range(16)
    )


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


# Records checked by one signature: the last record's signed tree covers
# every leaf before it, so one Ed25519 verification (0.1 to 0.2 ms here)
# stands for a thousand.
RUN = 1024

Problem = tuple[str, int, str]


class SignedHeads:
    """The tree as far as the records in hand build it, and the trusted log keys.

    Records are checked in runs: a run whose last record carries a valid
    signature over the root of the tree rebuilt from the records is
    authentic as a whole. Only a run that fails is checked record by
    record, from the tree as it stood before the run, to name each bad
    record by its sequence. Problems are handed back as they are found,
    which may be a run after the record they name; ``finish`` checks the
    last run.
    """

    def __init__(self, verifiers: Sequence[Verifier] | None, run: int = RUN) -> None:
        self._verifiers = list(verifiers) if verifiers is not None else None
        self._signers = signature_starts(verifiers or [])
        self._frontier: Frontier | None = Frontier()
        self._run_length = run
        self._run: list[tuple[PublishedEvent, bytes]] = []
        self._before_run: Frontier | None = Frontier()
        self._problems: list[Problem] = []

    def lose_track(self) -> None:
        """Records are missing: the tree beyond them cannot be rebuilt."""
        self._end_run()
        self._frontier = self._before_run = None

    def root(self) -> bytes | None:
        """The root of the tree of the records so far, unless records are missing."""
        return None if self._frontier is None else self._frontier.root()

    def check(self, event: PublishedEvent, canonical: bytes) -> list[Problem]:
        """Take the next record; what is wrong so far: (kind, sequence, detail)."""
        leaf = leaf_hash(canonical)
        if self._frontier is not None:
            self._frontier.append(leaf)
        if self._verifiers is not None:
            problem = header_problem(event, self._signers)
            if problem is not None:
                self._problems.append((problem[0], event.sequence, problem[1]))
            self._run.append((event, leaf if problem is None else b""))
            if len(self._run) >= self._run_length:
                self._end_run()
        return self._taken()

    def finish(self) -> list[Problem]:
        """Check the last run; what is wrong in it."""
        self._end_run()
        return self._taken()

    def _taken(self) -> list[Problem]:
        problems, self._problems = self._problems, []
        return problems

    def _end_run(self) -> None:
        if not self._run or self._verifiers is None:
            return
        last = self._run[-1][0]
        whole = (
            self._frontier is not None
            and signed_head_problem(last, self._verifiers) is None
            and signed_root(last) == self._frontier.root()
        )
        if not whole:
            self._check_each(self._verifiers)
        self._run = []
        self._before_run = None if self._frontier is None else self._frontier.copy()

    def _check_each(self, verifiers: Sequence[Verifier]) -> None:
        """Check the run record by record, from the tree before it."""
        tree = None if self._before_run is None else self._before_run.copy()
        for event, leaf in self._run:
            if tree is not None:
                tree.append(leaf or leaf_hash(canonical_json(event.record)))
            if not leaf:
                continue  # its header was named on arrival
            problem = signed_head_problem(event, verifiers)
            if problem is not None:
                self._problems.append((problem[0], event.sequence, problem[1]))
            elif tree is not None and signed_root(event) != tree.root():
                tree = self._frontier = None
                why = "the signed tree does not end in this record as received"
                self._problems.append(("altered", event.sequence, why))
