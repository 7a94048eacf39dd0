"""The auditor's replay: each kind of damage is found and named; a clean record is whole."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from projections.audit_replay import Replay, ReplayReport
from projections.point_in_time import PointInTime
from registry.domain.criteria import Criterion
from registry.record import merkle, note
from registry.record.chain import canonical_json
from registry.record.keyring import Keyring
from registry.record.log_verification import SignedHeads
from registry.record.messages import PublishedEvent
from registry.record.signing import Checkpoint, announce, key_id, public_pem, sign
from registry.record.tree_head import TreeHead
from registry.service.records import PublicRecord
from tests import histories
from tests.builders import NEXT_MONTH, TODAY, YESTERDAY, decision, findings, records_of, registered

KEY = Ed25519PrivateKey.generate()


def chained(records: list[PublicRecord]) -> list[PublishedEvent]:
    return histories.chained(records, position_step=2)


def history() -> list[PublishedEvent]:
    first, second = registered(name="Alpha"), registered(name="Beta")
    first.evaluate(findings(), [], decision(), today=TODAY)
    second.warn(decision(), deadline=NEXT_MONTH, today=TODAY, criterion=Criterion.TECHNOLOGY)
    first.terminate(decision(effective_date=TODAY), today=TODAY)
    alpha, beta = records_of(first), records_of(second)
    return chained([alpha[0], *beta, *alpha[1:]])


def checkpoint_at(
    events: list[PublishedEvent], sequence: int, key: Ed25519PrivateKey | None = None,
    signed_at: str = "2026-11-28T00:00:00+00:00",
) -> Checkpoint:  # fmt: skip
    event = events[sequence - 1]
    return sign(
        key or KEY, sequence=sequence, position=event.position, chain_hash=event.chain_hash,
        signed_at=signed_at, source="urn:test",
    )  # fmt: skip


def replay(
    events: list[PublishedEvent], checkpoints: tuple[Checkpoint, ...] = (), **options: Any
) -> ReplayReport:
    keyring = options.pop("keyring", Keyring(KEY.public_key()))
    run = Replay(list(checkpoints), keyring, **options)
    for number, event in enumerate(events):
        run.event(event, f"offset {number}")
    return run.finish()


def kinds(report: ReplayReport) -> set[str]:
    return set(report.counts)


def test_a_clean_record_is_whole_and_gives_the_register() -> None:
    events = history()

    report = replay(events, (checkpoint_at(events, 3),))

    assert report.whole
    assert (report.events, report.first_sequence, report.last_sequence) == (5, 1, 5)
    assert report.checkpoints_verified == 1
    assert [(r.name, r.status) for r in report.register] == [
        ("Alpha", "terminated"),
        ("Beta", "warned"),
    ]


def test_a_missing_record_is_a_gap() -> None:
    events = history()

    report = replay(events[:2] + events[3:])

    assert kinds(report) == {"gap"}
    assert report.findings[0].detail == "sequence 3 is missing"


def test_an_identical_copy_is_a_duplicate_unless_re_sends_are_allowed() -> None:
    events = history()
    copied = events[:3] + events[1:2] + events[3:]

    assert kinds(replay(copied)) == {"duplicate"}
    assert replay(copied, allow_resent=True).whole


def test_a_different_record_with_a_used_sequence_is_a_conflict() -> None:
    events = history()
    impostor = dataclasses.replace(events[1], record=events[1].record | {"actor": "someone"})

    report = replay([*events[:3], impostor, *events[3:]])

    assert kinds(report) == {"conflict"}
    assert report.findings[0].sequence == 2


def test_an_edited_body_breaks_the_chain_at_that_record() -> None:
    events = history()
    edited = dataclasses.replace(events[2], record=events[2].record | {"reason": "Rewritten"})

    report = replay([*events[:2], edited, *events[3:]])

    assert kinds(report) == {"chain_break"}
    assert report.findings[0].sequence == 3


def test_a_reordered_pair_is_named() -> None:
    events = history()

    report = replay([*events[:2], events[3], events[2], *events[4:]])

    assert "reordered" in kinds(report)
    assert "gap" not in kinds(report)
    assert [f.sequence for f in report.findings if f.kind == "reordered"] == [3]


def test_history_rewritten_with_recomputed_hashes_is_caught_by_a_signed_checkpoint() -> None:
    events = history()
    signed = checkpoint_at(events, 4)
    records = [e.record for e in events]
    records[1] = records[1] | {"reason": "A quieter reason"}
    rewritten = chained(records)

    report = replay(rewritten, (signed,))

    assert "chain_break" not in kinds(report)
    assert kinds(report) == {"rewritten"}
    assert report.findings[0].sequence == 4


def test_a_record_cut_short_of_a_checkpoint_is_truncated() -> None:
    events = history()

    report = replay(events[:3], (checkpoint_at(events, 5),))

    assert kinds(report) == {"truncated"}


def test_a_forged_checkpoint_or_a_missing_key_is_reported() -> None:
    events = history()
    forged = dataclasses.replace(checkpoint_at(events, 3), chain_hash="0" * 64)

    forged_report = replay(events, (forged,))
    unkeyed = Replay([checkpoint_at(events, 3)], None)
    for event in events:
        unkeyed.event(event, "x")

    assert kinds(forged_report) == {"bad_signature"}
    assert kinds(unkeyed.finish()) == {"unverified_checkpoints"}


def test_the_register_as_of_a_date_lists_the_events_that_put_each_partner_there() -> None:
    events = history()

    report = replay(events, point=PointInTime(YESTERDAY))
    earlier = replay(events, point=PointInTime(YESTERDAY - timedelta(days=1)))

    assert report.standings is not None
    assert [(s.row.name, s.row.status) for s in report.standings] == [
        ("Alpha", "active"),
        ("Beta", "warned"),
    ]
    assert [m.event_type for m in report.standings[0].events] == ["Registered", "Evaluated"]
    assert earlier.standings == []


def test_the_register_known_at_a_moment_leaves_out_what_was_recorded_after_it() -> None:
    events = history()
    evaluated = next(e for e in events if e.record["type"] == "Evaluated")
    moment = datetime.fromisoformat(evaluated.record["recorded_at"])

    report = replay(events, point=PointInTime(known_at=moment))

    assert report.standings is not None
    assert [(s.row.name, s.row.status) for s in report.standings] == [
        ("Alpha", "active"),
        ("Beta", "active"),
    ]
    assert [m.event_type for m in report.standings[0].events] == ["Registered", "Evaluated"]
    assert report.known_at == moment
    assert report.whole


def test_checkpoints_signed_by_an_announced_key_verify_with_the_first_key_pinned() -> None:
    events = history()
    new_key = Ed25519PrivateKey.generate()
    announced = announce(
        KEY, new_key.public_key(), announced_at="2026-11-28T01:00:00+00:00", source="urn:test"
    )
    later = checkpoint_at(events, 5, new_key, signed_at="2026-11-28T02:00:00+00:00")

    report = replay(
        events, (checkpoint_at(events, 3), later), keyring=Keyring(KEY.public_key(), [announced])
    )

    assert report.whole
    assert report.checkpoints_verified == 2


def test_a_key_nobody_trusted_announced_proves_nothing() -> None:
    events = history()
    stranger, forged = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    announced = announce(
        stranger, forged.public_key(), announced_at="2026-11-28T01:00:00+00:00", source="urn:x"
    )
    claimed = checkpoint_at(events, 5, forged, signed_at="2026-11-28T02:00:00+00:00")

    report = replay(events, (claimed,), keyring=Keyring(KEY.public_key(), [announced]))

    assert not report.whole
    assert {"bad_signature", "unannounced_key"} <= kinds(report)


def test_a_checkpoint_signed_before_its_key_was_announced_is_refused() -> None:
    events = history()
    new_key = Ed25519PrivateKey.generate()
    announced = announce(
        KEY, new_key.public_key(), announced_at="2026-11-28T05:00:00+00:00", source="urn:test"
    )
    early = checkpoint_at(events, 5, new_key, signed_at="2026-11-28T02:00:00+00:00")

    report = replay(events, (early,), keyring=Keyring(KEY.public_key(), [announced]))

    assert "bad_signature" in kinds(report)


def test_an_altered_announcement_is_not_followed() -> None:
    new_key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    genuine = announce(
        KEY, new_key.public_key(), announced_at="2026-11-28T01:00:00+00:00", source="urn:test"
    )
    swapped = dataclasses.replace(
        genuine,
        new_public_key=public_pem(other.public_key()),
        new_key_id=key_id(other.public_key()),
    )

    keyring = Keyring(KEY.public_key(), [swapped])

    assert keyring.key_ids == [key_id(KEY.public_key())]
    assert keyring.unfollowed == [swapped]


ORIGIN = "registry.example/log"
LOG_KEYS = [note.verifier_of(ORIGIN, KEY.public_key())]


def signed_heads(
    events: list[PublishedEvent], key: Ed25519PrivateKey = KEY
) -> list[PublishedEvent]:
    """Each event with the signed checkpoint of the tree it ends, as the relay sends it."""
    frontier, signed = merkle.Frontier(), []
    for event in events:
        frontier.append(merkle.leaf_hash(canonical_json(event.record)))
        body = TreeHead(ORIGIN, event.sequence, frontier.root()).body()
        checkpoint = note.signed_note(body, [note.sign(body, ORIGIN, key)])
        signed.append(dataclasses.replace(event, checkpoint=checkpoint))
    return signed


def test_records_whose_signed_heads_hold_are_whole() -> None:
    report = replay(signed_heads(history()), log_verifiers=LOG_KEYS)

    assert report.whole, report.findings


def test_a_record_with_a_forged_altered_missing_or_misplaced_head_is_named_by_sequence() -> None:
    # Given a genuine signed log of five records
    events = signed_heads(history())
    stranger = signed_heads(history(), key=Ed25519PrivateKey.generate())
    altered_record = dict(events[3].record) | {"reason": "rewritten after signing"}

    # When one record's head was signed by another key, one altered, one unsigned,
    # and one carries the head of another place in the log
    damaged = [
        events[0],
        stranger[1],
        dataclasses.replace(events[2], checkpoint=""),
        dataclasses.replace(events[3], record=altered_record),  # type: ignore[arg-type]
        dataclasses.replace(events[4], checkpoint=events[3].checkpoint),
    ]
    report = replay(damaged, log_verifiers=LOG_KEYS)

    # Then each is named with its sequence
    named = {(f.kind, f.sequence) for f in report.findings}
    assert {("forged", 2), ("unsigned", 3), ("altered", 4), ("misplaced", 5)} <= named


def test_without_a_key_the_signed_heads_are_not_judged() -> None:
    events = [dataclasses.replace(e, checkpoint="") for e in history()]

    report = replay(events, keyring=None, log_verifiers=None)

    assert "unsigned" not in kinds(report)


def tree_head(events: list[PublishedEvent], size: int) -> TreeHead:
    frontier = merkle.Frontier()
    for event in events[:size]:
        frontier.append(merkle.leaf_hash(canonical_json(event.record)))
    return TreeHead(ORIGIN, size, frontier.root())


def replay_against(events: list[PublishedEvent], *heads: TreeHead) -> ReplayReport:
    run = Replay([], None, log_verifiers=LOG_KEYS)
    for head in heads:
        run.signed_tree(head, f"the checkpoint of size {head.size}")
    for number, event in enumerate(events):
        run.event(event, f"offset {number}")
    return run.finish()


def test_a_record_that_matches_every_signed_tree_given_is_whole() -> None:
    events = signed_heads(history())

    report = replay_against(events, tree_head(events, 2), tree_head(events, 5))

    assert report.whole, report.findings
    assert report.checkpoints_verified == 2


def test_a_signed_tree_of_another_history_is_a_split_view_named_by_its_size() -> None:
    # Given the record, and a checkpoint someone else was shown for size 3 of another history
    events = signed_heads(history())
    other = [events[0], events[1], dataclasses.replace(events[0], sequence=3)]

    # When the record is replayed against it
    report = replay_against(events, tree_head(other, 3))

    # Then the split view is named at size 3
    assert [(f.kind, f.sequence) for f in report.findings] == [("split_view", 3)]


def test_a_record_shorter_than_a_signed_tree_is_truncated() -> None:
    events = signed_heads(history())

    report = replay_against(events[:3], tree_head(events, 5))

    assert [(f.kind, f.sequence) for f in report.findings] == [("truncated", 5)]


@dataclasses.dataclass
class Counting:
    """A log key that counts the signatures it is asked to check."""

    verifier: note.Verifier
    checked: int = 0

    @property
    def name(self) -> str:
        return self.verifier.name

    @property
    def key_hash(self) -> bytes:
        return self.verifier.key_hash

    def verifies(self, text: str, signature: bytes) -> bool:
        self.checked += 1
        return self.verifier.verifies(text, signature)


def long_history(count: int) -> list[PublishedEvent]:
    first = history()
    return [*first, *(dataclasses.replace(e, sequence=e.sequence + len(first) * n)
                      for n in range(1, count // len(first)) for e in first)]  # fmt: skip


def heads_problems(events: list[PublishedEvent], key: Counting, run: int) -> list[tuple[str, int]]:
    heads = SignedHeads([key], run=run)  # type: ignore[list-item]
    found = [p for e in events for p in heads.check(e, canonical_json(e.record))]
    return [(kind, sequence) for kind, sequence, _ in [*found, *heads.finish()]]


def test_a_run_of_genuine_records_is_checked_by_its_last_signature_alone() -> None:
    # Given 20 genuine signed records, checked in runs of 8
    key = Counting(note.verifier_of(ORIGIN, KEY.public_key()))
    events = signed_heads(long_history(20))

    # When they are checked
    problems = heads_problems(events, key, run=8)

    # Then nothing is wrong, and three signatures were checked, not twenty
    assert problems == []
    assert key.checked == 3


def test_a_run_with_a_bad_record_is_checked_record_by_record_and_names_it() -> None:
    # Given 20 signed records where 6 is signed by a stranger and 11 carries no signature
    key = Counting(note.verifier_of(ORIGIN, KEY.public_key()))
    records = long_history(20)
    events = signed_heads(records)
    stranger = signed_heads(records, key=Ed25519PrivateKey.generate())
    events[5] = stranger[5]
    events[10] = dataclasses.replace(events[10], checkpoint="")

    # When they are checked in runs of 8
    problems = heads_problems(events, key, run=8)

    # Then both are named by sequence on arrival, and each run still cost one signature
    assert problems == [("forged", 6), ("unsigned", 11)]
    assert key.checked == 3


def test_an_altered_record_inside_a_run_fails_the_run_which_is_then_checked_one_by_one() -> None:
    # Given 20 signed records where record 10 was altered after signing
    key = Counting(note.verifier_of(ORIGIN, KEY.public_key()))
    events = signed_heads(long_history(20))
    altered = dict(events[9].record) | {"reason": "rewritten after signing"}
    events[9] = dataclasses.replace(events[9], record=altered)  # type: ignore[arg-type]

    # When they are checked in runs of 8
    problems = heads_problems(events, key, run=8)

    # Then it is named; its run (9 to 16) was checked record by record, and so is the
    # last (17 to 20), since the tree beyond an altered record is no longer known
    assert problems[0] == ("altered", 10)
    assert key.checked == 1 + (1 + 8) + 4
