"""An auditor's replay of the public record: what is missing, repeated, altered, and the register.

Fed the records of the events topic merged back into sequence order, it
recomputes the hash chain, checks every signed checkpoint it meets, and
folds the register, holding only the register and a few bytes per sequence
(a seen-bit and a digest to tell an identical re-send from a conflicting
record), never the events themselves.
"""

from __future__ import annotations

import zlib
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from projections.current_partners import PartnerRow, ProjectionError, apply, change
from projections.point_in_time import PointInTime
from registry.record.chain import GENESIS, canonical_json, chain_hash_of_canonical
from registry.record.checkpoints import Verdict, genuine, judge
from registry.record.keyring import Keyring
from registry.record.log_verification import SignedHeads
from registry.record.messages import PublishedEvent
from registry.record.note import Verifier
from registry.record.signing import Checkpoint
from registry.record.tree_head import TreeHead

MAX_LISTED = 50


@dataclass(frozen=True)
class Finding:
    """One thing wrong with the record."""

    kind: str
    sequence: int | None
    detail: str


@dataclass(frozen=True)
class Milestone:
    """An event that put a partner where it stood on the as-of date."""

    sequence: int
    event_type: str
    effective_date: str
    actor: str
    reason: str


@dataclass
class Standing:
    """A partner on the as-of date, with the events that put it there."""

    row: PartnerRow
    events: list[Milestone] = field(default_factory=list)


@dataclass
class ReplayReport:
    """What the replay found."""

    records_read: int
    events: int
    first_sequence: int | None
    last_sequence: int | None
    first_position: int | None
    last_position: int | None
    checkpoints_verified: int
    counts: dict[str, int]
    findings: list[Finding]
    register: list[PartnerRow]
    as_of: date | None
    known_at: datetime | None
    standings: list[Standing] | None

    @property
    def whole(self) -> bool:
        """Nothing missing, repeated, altered or unreadable; every checkpoint holds."""
        return not self.counts


class Replay:
    """Consumes the merged record, event by event."""

    def __init__(
        self,
        checkpoints: Sequence[Checkpoint],
        keyring: Keyring | None,
        point: PointInTime | None = None,
        *,
        allow_resent: bool = False,
        log_verifiers: Sequence[Verifier] | None = None,
    ) -> None:
        self._allow_resent = allow_resent
        self._signed_heads = SignedHeads(log_verifiers)
        self._counts: Counter[str] = Counter()
        self._findings: list[Finding] = []
        self._pending = self._genuine(checkpoints, keyring)
        self._verified = 0
        self._expected = 1
        self._claimed = GENESIS
        self._true: str | None = GENESIS
        self._seen = bytearray()
        self._digests = array("I")
        self._missing: list[list[int]] = []
        self._rows: dict[str, PartnerRow] = {}
        self._point = point
        self._standings: dict[str, Standing] = {}
        self._read = 0
        self._events = 0
        self._positions: tuple[int, int] | None = None
        self._heads: list[tuple[TreeHead, str]] = []
        self._roots: dict[int, bytes | None] = {}

    def signed_tree(self, head: TreeHead, where: str) -> None:
        """A tree head the log signed (checked by the caller) that the record must agree with.

        Given before the records: a checkpoint served over HTTP, cosigned by
        witnesses, or saved by whoever was shown it. One the record does not
        reach is a truncated record; one whose root differs is a second
        history the log signed, a split view.
        """
        self._heads.append((head, where))
        self._roots.setdefault(head.size, None)

    def problem(self, kind: str, sequence: int | None, detail: str) -> None:
        """Something wrong found outside the records (a checkpoint, a witness)."""
        self._note(kind, sequence, detail)

    def unreadable(self, where: str, reason: str) -> None:
        """A record that is not a valid partner event."""
        self._read += 1
        self._note("unreadable", None, f"{where}: {reason}")

    def event(self, event: PublishedEvent, where: str) -> None:
        """The next record in merged order."""
        self._read += 1
        sequence = event.sequence
        canonical = event.canonical or canonical_json(event.record)
        digest = zlib.crc32(canonical + event.chain_hash.encode())
        if sequence < self._expected:
            self._earlier(sequence, digest, where)
            return
        if sequence > self._expected:
            self._missing.append([self._expected, sequence - 1])
            self._true = None
            self._signed_heads.lose_track()
        following = chain_hash_of_canonical(self._claimed, canonical)
        if sequence == self._expected and event.chain_hash != following:
            self._note("chain_break", sequence, f"its hash does not follow from {sequence - 1}")
        if self._true is not None:
            self._true = (following if self._true == self._claimed
                          else chain_hash_of_canonical(self._true, canonical))  # fmt: skip
        self._claimed = event.chain_hash
        self._remember(sequence, digest)
        for kind, bad, detail in self._signed_heads.check(event, canonical):
            self._note(kind, bad, detail)
        if sequence in self._roots:
            self._roots[sequence] = self._signed_heads.root()
        self._check_checkpoints(sequence)
        self._fold(event)
        self._expected = sequence + 1

    def finish(self) -> ReplayReport:
        """The report, once every record has been fed."""
        for start, end in self._missing:
            span = str(start) if start == end else f"{start}-{end}"
            self._note("gap", start, f"sequence {span} is missing")
        last = self._expected - 1
        for checkpoint in self._pending:
            self._note(
                "truncated", checkpoint.sequence,
                f"a checkpoint signed at {checkpoint.signed_at} covers sequence "
                f"{checkpoint.sequence}, but the record ends at {last}",
            )  # fmt: skip
        for kind, bad, detail in self._signed_heads.finish():
            self._note(kind, bad, detail)
        self._check_signed_trees(last)
        first, last_position = self._positions or (None, None)
        return ReplayReport(
            records_read=self._read, events=self._events,
            first_sequence=1 if self._events else None, last_sequence=last or None,
            first_position=first, last_position=last_position,
            checkpoints_verified=self._verified, counts=dict(self._counts),
            findings=self._findings, register=sorted(self._rows.values(), key=_by_name),
            as_of=self._point.as_of if self._point else None,
            known_at=self._point.known_at if self._point else None,
            standings=None if self._point is None else sorted(
                self._standings.values(), key=lambda s: _by_name(s.row)
            ),
        )  # fmt: skip

    def _check_signed_trees(self, last: int) -> None:
        for head, where in self._heads:
            root = self._roots.get(head.size)
            if head.size > last:
                self._note("truncated", head.size,
                           f"{where} is signed for {head.size} records, but the record ends at "
                           f"{last}")  # fmt: skip
            elif root is None:
                self._note("unchecked_checkpoint", head.size,
                           f"records before {where} are missing, so its root cannot be "
                           "recomputed")  # fmt: skip
            elif root != head.root_hash:
                self._note("split_view", head.size,
                           f"{where} states another tree of {head.size} records than the "
                           "record: the log signed two histories")  # fmt: skip
            else:
                self._verified += 1

    def _genuine(
        self, checkpoints: Sequence[Checkpoint], keyring: Keyring | None
    ) -> list[Checkpoint]:
        if checkpoints and keyring is None:
            self._note("unverified_checkpoints", None, "no public key to verify checkpoints with")
            return []
        for announcement in keyring.unfollowed if keyring else []:
            self._note(
                "unannounced_key", None,
                f"key {announcement.new_key_id} was announced at {announcement.announced_at} "
                f"by key {announcement.key_id}, which is not the pinned key or one it announced",
            )  # fmt: skip
        if keyring is None:
            return []
        verified, refused = genuine(checkpoints, keyring)
        for checkpoint in refused:
            self._note(
                "bad_signature", checkpoint.sequence,
                f"the checkpoint signed at {checkpoint.signed_at} by key "
                f"{checkpoint.key_id} does not verify with the pinned key or a key it "
                "announced",
            )  # fmt: skip
        return verified

    def _earlier(self, sequence: int, digest: int, where: str) -> None:
        if self._was_seen(sequence):
            if self._digests[sequence] == digest:
                if not self._allow_resent:
                    self._note("duplicate", sequence, f"sent again at {where} (identical copy)")
            else:
                self._note("conflict", sequence, f"a different record at {where} claims it")
            return
        self._fill(sequence)
        self._remember(sequence, digest)
        self._note("reordered", sequence, f"arrives after {self._expected - 1} at {where}")

    def _check_checkpoints(self, sequence: int) -> None:
        for checkpoint, verdict in judge(self._pending, sequence, self._true):
            if verdict is Verdict.UNCHECKABLE:
                self._note(
                    "unchecked_checkpoint", checkpoint.sequence,
                    "records before it are missing, so the chain cannot be recomputed",
                )  # fmt: skip
            elif verdict is Verdict.REWRITTEN:
                self._note(
                    "rewritten", checkpoint.sequence,
                    f"the recomputed chain differs from the checkpoint signed at "
                    f"{checkpoint.signed_at}: history up to here was rewritten",
                )  # fmt: skip
            else:
                self._verified += 1

    def _fold(self, event: PublishedEvent) -> None:
        self._events += 1
        first = self._positions[0] if self._positions else event.position
        self._positions = (first, event.position)
        record = event.record
        try:
            self._rows[event.partner_id] = apply(
                self._rows.get(event.partner_id), record, event.position
            )
        except ProjectionError as error:
            self._note("inconsistent", event.sequence, str(error))
        if self._point is not None and self._point.counts(
            record["effective_date"], record["recorded_at"]
        ):
            try:
                self._stand(event)
            except ProjectionError as error:
                self._note("inconsistent", event.sequence, str(error))

    def _stand(self, event: PublishedEvent) -> None:
        record = event.record
        standing = self._standings.get(event.partner_id)
        row = change(standing.row if standing else None, record, event.position)
        if standing is None:
            standing = self._standings[event.partner_id] = Standing(row)
        standing.row = row
        standing.events.append(
            Milestone(
                event.sequence,
                record["type"],
                record["effective_date"],
                record["actor"],
                record["reason"],
            )
        )

    def _remember(self, sequence: int, digest: int) -> None:
        needed = sequence // 8 + 1
        if len(self._seen) < needed:
            self._seen.extend(bytes(max(needed - len(self._seen), 4096)))
        self._seen[sequence // 8] |= 1 << (sequence % 8)
        if len(self._digests) <= sequence:
            grow = max(sequence + 1 - len(self._digests), 4096)
            self._digests.frombytes(bytes(grow * self._digests.itemsize))
        self._digests[sequence] = digest

    def _was_seen(self, sequence: int) -> bool:
        return sequence // 8 < len(self._seen) and bool(
            self._seen[sequence // 8] & (1 << (sequence % 8))
        )

    def _fill(self, sequence: int) -> None:
        """A late record closes its part of a gap."""
        for span in list(self._missing):
            start, end = span
            if start <= sequence <= end:
                self._missing.remove(span)
                parts = ([start, sequence - 1], [sequence + 1, end])
                self._missing += [part for part in parts if part[0] <= part[1]]

    def _note(self, kind: str, sequence: int | None, detail: str) -> None:
        self._counts[kind] += 1
        if self._counts[kind] <= MAX_LISTED:
            self._findings.append(Finding(kind, sequence, detail))


def _by_name(row: PartnerRow) -> tuple[str, str]:
    return row.name.casefold(), row.partner_id
