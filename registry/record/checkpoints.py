"""Signed checkpoints judged against a chain: one rule for the auditor's replay and for verify.

A checkpoint holds if the key ring verifies its signature and the chain,
recomputed up to its sequence, ends in the hash it signed. It is rewritten
history if the chain ends in another hash, and it cannot be checked if the
records before it are missing, so that the chain at its sequence is unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from registry.record.keyring import Keyring
from registry.record.signing import Checkpoint


class Verdict(StrEnum):
    """What the chain says of one signed checkpoint."""

    HOLDS = "holds"
    REWRITTEN = "rewritten"
    UNCHECKABLE = "unchecked_checkpoint"


def genuine(
    checkpoints: Sequence[Checkpoint], keyring: Keyring
) -> tuple[list[Checkpoint], list[Checkpoint]]:
    """The checkpoints the key ring verifies, oldest first, and those whose signature fails."""
    verified = [c for c in checkpoints if keyring.verifies(c)]
    refused = [c for c in checkpoints if c not in verified]
    return sorted(verified, key=lambda c: c.sequence), refused


def judge(
    pending: list[Checkpoint], sequence: int, chain_hash: str | None
) -> list[tuple[Checkpoint, Verdict]]:
    """Take from ``pending`` (oldest first) every checkpoint the chain has reached.

    ``chain_hash`` is the recomputed chain at ``sequence``, or None when it is
    unknown; a checkpoint of an earlier sequence was passed without its own
    hash being known (its record is missing), so it cannot be checked.
    """
    judged = []
    while pending and pending[0].sequence <= sequence:
        checkpoint = pending.pop(0)
        if checkpoint.sequence < sequence or chain_hash is None:
            judged.append((checkpoint, Verdict.UNCHECKABLE))
        elif checkpoint.chain_hash != chain_hash:
            judged.append((checkpoint, Verdict.REWRITTEN))
        else:
            judged.append((checkpoint, Verdict.HOLDS))
    return judged
