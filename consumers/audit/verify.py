"""Cross-checking the store, the topic and the published audit trail against each other.

The store is the truth. The topic and the published trail may lag behind
it (the relay and the read models catch up), so a source that simply ends
early is reported as lag; a source that is missing a sequence it should
have, or holds a different record for it, is a disagreement. Signed
checkpoints are checked against the store's chain.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from consumers.audit.sources import Entry
from registry.record.checkpoints import Verdict, genuine, judge
from registry.record.keyring import Keyring
from registry.record.signing import Checkpoint

STORE = "event store"
MAX_LISTED = 50


@dataclass
class VerifyReport:
    """Where the sources agree, lag or disagree."""

    compared: dict[str, int] = field(default_factory=dict)
    lag: dict[str, int] = field(default_factory=dict)
    disagreements: list[str] = field(default_factory=list)
    disagreement_count: int = 0
    checkpoints_checked: int = 0

    @property
    def agrees(self) -> bool:
        """No disagreement at all (lag is not one)."""
        return self.disagreement_count == 0

    def disagree(self, detail: str) -> None:
        """Note one disagreement."""
        self.disagreement_count += 1
        if len(self.disagreements) < MAX_LISTED:
            self.disagreements.append(detail)


def verify(
    sources: Mapping[str, Iterator[Entry]],
    checkpoints: Sequence[Checkpoint],
    keyring: Keyring,
) -> VerifyReport:
    """Walk every source in sequence order and compare them to the store."""
    report = VerifyReport(compared=dict.fromkeys(sources, 0), lag=dict.fromkeys(sources, 0))
    pending = _genuine(checkpoints, keyring, report)
    heads = {name: next(it, None) for name, it in sources.items()}
    while any(heads.values()):
        sequence = min(h.sequence for h in heads.values() if h is not None)
        present = {n: h for n, h in heads.items() if h is not None and h.sequence == sequence}
        _note_absent(sequence, heads, report)
        _compare(sequence, present, report)
        pending = _check_checkpoints(pending, present.get(STORE), report)
        for name in present:
            report.compared[name] += 1
            heads[name] = next(sources[name], None)
    for checkpoint in pending:
        report.disagree(
            f"checkpoint at sequence {checkpoint.sequence} is beyond the store's record"
        )
    return report


def _genuine(
    checkpoints: Sequence[Checkpoint], keyring: Keyring, report: VerifyReport
) -> list[Checkpoint]:
    verified, refused = genuine(checkpoints, keyring)
    for checkpoint in refused:
        report.disagree(f"checkpoint at sequence {checkpoint.sequence} has a bad signature")
    return verified


def _note_absent(sequence: int, heads: Mapping[str, Entry | None], report: VerifyReport) -> None:
    for name, head in heads.items():
        if head is None:
            report.lag[name] += 1
        elif head.sequence > sequence:
            report.disagree(f"sequence {sequence} is missing from the {name}")


def _compare(sequence: int, present: Mapping[str, Entry], report: VerifyReport) -> None:
    reference_name = STORE if STORE in present else next(iter(present))
    reference = present[reference_name]
    for name, entry in present.items():
        differing = [
            what
            for what, same in (
                ("position", entry.position == reference.position),
                ("chain hash", entry.chain_hash == reference.chain_hash),
                ("event", entry.body == reference.body),
            )
            if not same
        ]
        if differing:
            report.disagree(
                f"sequence {sequence}: the {name} and the {reference_name} differ in "
                + ", ".join(differing)
            )


def _check_checkpoints(
    pending: list[Checkpoint], store: Entry | None, report: VerifyReport
) -> list[Checkpoint]:
    if store is None:
        return pending
    for checkpoint, verdict in judge(pending, store.sequence, store.chain_hash):
        report.checkpoints_checked += 1
        if verdict is Verdict.REWRITTEN:
            report.disagree(
                f"the store's chain at sequence {store.sequence} differs from the checkpoint "
                f"signed at {checkpoint.signed_at}"
            )
        elif verdict is Verdict.UNCHECKABLE:
            report.disagree(
                f"the store has no entry at sequence {checkpoint.sequence}, which the "
                f"checkpoint signed at {checkpoint.signed_at} covers"
            )
    return pending
