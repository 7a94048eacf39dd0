"""One rule judges signed checkpoints against a chain, for the replay and for verify."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.record.checkpoints import Verdict, genuine, judge
from registry.record.keyring import Keyring
from registry.record.signing import Checkpoint, sign

KEY = Ed25519PrivateKey.generate()


def signed(sequence: int, chain_hash: str, key: Ed25519PrivateKey = KEY) -> Checkpoint:
    return sign(
        key, sequence=sequence, position=sequence, chain_hash=chain_hash,
        signed_at="2026-11-29T00:00:00+00:00", source="urn:test",
    )  # fmt: skip


def test_only_checkpoints_the_pinned_key_signed_are_genuine_oldest_first() -> None:
    # Given two checkpoints signed by the pinned key, out of order, and one by another key
    late, early, stranger = (
        signed(9, "b" * 64),
        signed(3, "a" * 64),
        signed(5, "c" * 64, Ed25519PrivateKey.generate()),
    )

    # When they are sorted out
    verified, refused = genuine([late, stranger, early], Keyring(KEY.public_key()))

    # Then the pinned key's are kept oldest first and the stranger's is refused
    assert verified == [early, late]
    assert refused == [stranger]


def test_a_checkpoint_holds_when_the_chain_ends_in_the_hash_it_signed() -> None:
    pending = [signed(3, "a" * 64), signed(7, "b" * 64)]

    judged = judge(pending, 3, "a" * 64)

    assert [(c.sequence, v) for c, v in judged] == [(3, Verdict.HOLDS)]
    assert [c.sequence for c in pending] == [7]


def test_a_checkpoint_whose_hash_the_chain_does_not_reach_is_rewritten_history() -> None:
    judged = judge([signed(3, "a" * 64)], 3, "f" * 64)

    assert [v for _, v in judged] == [Verdict.REWRITTEN]


def test_a_checkpoint_passed_without_its_own_hash_known_cannot_be_checked() -> None:
    # Given checkpoints at 2 and 4, and a chain that jumps from 1 to 4 or whose hash is unknown
    judged_after_gap = judge([signed(2, "a" * 64)], 4, "b" * 64)
    judged_unknown = judge([signed(4, "b" * 64)], 4, None)

    # Then neither can be checked: the chain at their sequence is not known
    assert [v for _, v in judged_after_gap] == [Verdict.UNCHECKABLE]
    assert [v for _, v in judged_unknown] == [Verdict.UNCHECKABLE]


def test_checkpoints_beyond_the_chain_wait() -> None:
    pending = [signed(8, "a" * 64)]

    assert judge(pending, 5, "b" * 64) == []
    assert len(pending) == 1
