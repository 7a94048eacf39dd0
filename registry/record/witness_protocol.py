"""The witness's side of C2SP tlog-witness ``add-checkpoint``: what to cosign, what to refuse.

A witness remembers, per log, the latest checkpoint it cosigned. It cosigns
a new one only if the log's pinned key signed it and a consistency proof
shows the old tree is a prefix of the new one; a second tree of the size it
already holds, with another root, is refused. So a log that shows two
histories to two people cannot get both witnessed: that is what catches a
split view. The refusals carry the protocol's HTTP status codes.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from registry.record.merkle import HASH_SIZE, ProofError, verify_consistency
from registry.record.note import NoteError, Verifier, open_note, split
from registry.record.tree_head import TreeHead, TreeHeadError, parse

MAX_PROOF_LINES = 63


class WitnessRefusedError(Exception):
    """The witness will not cosign; ``status`` is the protocol's HTTP status code."""

    def __init__(self, status: int, message: str, latest_size: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.latest_size = latest_size


@dataclass(frozen=True)
class AddCheckpoint:
    """An add-checkpoint request: the size the witness last cosigned, a proof, the checkpoint."""

    old_size: int
    proof: tuple[bytes, ...]
    checkpoint: str

    def body(self) -> str:
        """The request body as sent."""
        lines = [f"old {self.old_size}", *(base64.b64encode(h).decode() for h in self.proof)]
        return "".join(f"{line}\n" for line in lines) + "\n" + self.checkpoint


def parse_request(body: str) -> AddCheckpoint:
    """An add-checkpoint request from its body; a 400 refusal if it is malformed."""
    head, separator, checkpoint = body.partition("\n\n")
    if not separator:
        raise WitnessRefusedError(400, "the request has no empty line before the checkpoint")
    old_line, *proof_lines = head.split("\n")
    size_text = old_line.removeprefix("old ")
    if size_text == old_line or not _is_decimal(size_text):
        raise WitnessRefusedError(400, f"the first line must be 'old <size>', not {old_line!r}")
    if len(proof_lines) > MAX_PROOF_LINES:
        raise WitnessRefusedError(400, f"more than {MAX_PROOF_LINES} consistency proof lines")
    return AddCheckpoint(int(size_text), tuple(_hash(line) for line in proof_lines), checkpoint)


def check(
    request: AddCheckpoint, logs: Mapping[str, Sequence[Verifier]], latest: TreeHead | None
) -> TreeHead:
    """The tree head to cosign, or the refusal the protocol prescribes.

    ``latest`` is what this witness last cosigned for the checkpoint's
    origin (None if never); it must be read and replaced atomically with
    this check.
    """
    head = _signed_head(request.checkpoint, logs)
    if request.old_size > head.size:
        raise WitnessRefusedError(
            400, f"old size {request.old_size} exceeds the tree size {head.size}"
        )
    known = 0 if latest is None else latest.size
    if request.old_size != known:
        raise WitnessRefusedError(409, f"the latest cosigned size is {known}", known)
    if latest is not None and latest.size == head.size:
        if latest.root_hash != head.root_hash:
            raise WitnessRefusedError(409, f"another tree of size {head.size} was cosigned", known)
        return head
    _check_consistency(request, latest, head)
    return head


def _signed_head(checkpoint: str, logs: Mapping[str, Sequence[Verifier]]) -> TreeHead:
    try:
        text, _ = split(checkpoint)
        head = parse(text)
    except (NoteError, TreeHeadError) as error:
        raise WitnessRefusedError(400, f"not a checkpoint: {error}") from None
    verifiers = logs.get(head.origin)
    if verifiers is None:
        raise WitnessRefusedError(404, f"unknown log {head.origin!r}")
    try:
        open_note(checkpoint, verifiers)
    except NoteError:
        raise WitnessRefusedError(403, "no trusted key of the log signed the checkpoint") from None
    return head


def _check_consistency(request: AddCheckpoint, latest: TreeHead | None, head: TreeHead) -> None:
    if latest is None or latest.size == 0:
        if request.proof:
            raise WitnessRefusedError(422, "a proof from size 0 must be empty")
        return
    try:
        verify_consistency(latest.size, head.size, latest.root_hash, head.root_hash, request.proof)
    except ProofError as error:
        raise WitnessRefusedError(422, f"the consistency proof does not verify: {error}") from None


def _hash(line: str) -> bytes:
    try:
        digest = base64.b64decode(line, validate=True)
    except binascii.Error:
        raise WitnessRefusedError(400, f"a proof line is not base64: {line!r}") from None
    if len(digest) != HASH_SIZE:
        raise WitnessRefusedError(400, f"a proof line holds {len(digest)} bytes, not {HASH_SIZE}")
    return digest


def _is_decimal(text: str) -> bool:
    return text.isdigit() and (text == "0" or not text.startswith("0"))
