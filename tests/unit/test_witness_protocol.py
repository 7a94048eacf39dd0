"""A witness cosigns only a checkpoint consistent with all it saw: split views are refused."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.record import note
from registry.record.cosignature import (
    cosign,
    cosigned_by,
    cosigner_of,
    parse_cosigner_vkey,
    signed_message,
    timestamp_of,
    with_cosignatures,
)
from registry.record.merkle import MemoryTree, consistency_proof, leaf_hash, root
from registry.record.note import NoteError
from registry.record.tree_head import TreeHead
from registry.record.witness_protocol import (
    AddCheckpoint,
    WitnessRefusedError,
    check,
    parse_request,
)

ORIGIN = "registry.example/log"
# Fixed keys: parametrised cases carry signed notes in their ids, which every
# test worker must compute alike.
LOG_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"witness tests: log").digest())
LOGS = {ORIGIN: [note.verifier_of(ORIGIN, LOG_KEY.public_key())]}
WITNESS_KEY = Ed25519PrivateKey.from_private_bytes(
    hashlib.sha256(b"witness tests: witness").digest()
)
WITNESS = "audit-board.example/witness"


def tree(*leaves: bytes) -> MemoryTree:
    built = MemoryTree()
    for leaf in leaves:
        built.append(leaf_hash(leaf))
    return built


HISTORY = tree(*(f"record {n}".encode() for n in range(1, 11)))
FORK = tree(*(f"record {n}".encode() for n in range(1, 5)), b"a different record 5")


def head_of(built: MemoryTree, size: int) -> TreeHead:
    return TreeHead(ORIGIN, size, root(built, size))


def checkpoint(head: TreeHead, key: Ed25519PrivateKey = LOG_KEY) -> str:
    text = head.body()
    return note.signed_note(text, [note.sign(text, ORIGIN, key)])


def request(old: int, size: int, built: MemoryTree = HISTORY) -> AddCheckpoint:
    proof = consistency_proof(built, size, old) if 0 < old < size else []
    return AddCheckpoint(old, tuple(proof), checkpoint(head_of(built, size)))


def test_a_first_checkpoint_is_cosigned_and_the_cosignature_verifies_with_the_witness_vkey() -> (
    None
):
    given = request(0, 5)

    head = check(parse_request(given.body()), LOGS, latest=None)
    line = cosign(head.body(), WITNESS, WITNESS_KEY, timestamp=1_764_000_000).line()

    pinned = parse_cosigner_vkey(cosigner_of(WITNESS, WITNESS_KEY.public_key()).vkey)
    cosigned = with_cosignatures(given.checkpoint, [line, line])
    assert cosigned_by(cosigned, [pinned]) == [pinned]
    assert cosigned.count(line) == 1
    assert note.open_note(cosigned, LOGS[ORIGIN])[0] == head.body()


def test_a_larger_checkpoint_with_a_valid_consistency_proof_is_cosigned() -> None:
    assert check(request(5, 10), LOGS, head_of(HISTORY, 5)) == head_of(HISTORY, 10)


def test_the_same_checkpoint_again_is_cosigned_again() -> None:
    assert check(request(5, 5), LOGS, head_of(HISTORY, 5)) == head_of(HISTORY, 5)


def test_a_second_tree_of_the_size_already_cosigned_is_a_conflict() -> None:
    with pytest.raises(WitnessRefusedError, match="another tree of size 5") as refused:
        check(request(5, 5, FORK), LOGS, head_of(HISTORY, 5))
    assert (refused.value.status, refused.value.latest_size) == (409, 5)


def test_a_tree_that_does_not_extend_the_cosigned_one_fails_its_proof() -> None:
    forked = tree(*(f"record {n}".encode() for n in range(1, 5)), *(b"fork",) * 6)
    with pytest.raises(WitnessRefusedError, match="does not verify") as refused:
        check(request(5, 10, forked), LOGS, head_of(HISTORY, 5))
    assert refused.value.status == 422


def test_an_old_size_other_than_the_cosigned_one_answers_the_cosigned_size() -> None:
    with pytest.raises(WitnessRefusedError) as refused:
        check(request(0, 10), LOGS, head_of(HISTORY, 5))
    assert (refused.value.status, refused.value.latest_size) == (409, 5)


@pytest.mark.parametrize(
    ("given", "status"),
    [
        (AddCheckpoint(0, (), checkpoint(head_of(HISTORY, 3), WITNESS_KEY)), 403),
        (AddCheckpoint(0, (), checkpoint(TreeHead("other.example/log", 3, bytes(32)))), 404),
        (AddCheckpoint(4, (), checkpoint(head_of(HISTORY, 3))), 400),
        (AddCheckpoint(0, (bytes(32),), checkpoint(head_of(HISTORY, 3))), 422),
    ],
)
def test_unsigned_unknown_backwards_or_proofless_requests_get_the_protocols_status(
    given: AddCheckpoint, status: int
) -> None:
    with pytest.raises(WitnessRefusedError) as refused:
        check(given, LOGS, latest=None)
    assert refused.value.status == status


@pytest.mark.parametrize(
    "body",
    ["old 0\n" + checkpoint(head_of(HISTORY, 1)), "old 01\n\n", "size 1\n\n", "old 1\nAAAA\n\n",
     "old 1\n" + "!" * 44 + "\n\n", "old 1\n" + ("A" * 43 + "=\n") * 64 + "\n"],
)  # fmt: skip
def test_a_malformed_request_is_a_bad_request(body: str) -> None:
    with pytest.raises(WitnessRefusedError) as refused:
        parse_request(body)
    assert refused.value.status == 400


def test_a_cosignature_commits_to_its_time_and_to_the_checkpoint() -> None:
    head = head_of(HISTORY, 5)
    signature = cosign(head.body(), WITNESS, WITNESS_KEY, timestamp=1_764_000_000)
    witness = cosigner_of(WITNESS, WITNESS_KEY.public_key())

    later = signature.signature[:7] + b"\x01" + signature.signature[8:]
    assert timestamp_of(signature) == 1_764_000_000
    assert witness.verifies(head.body(), signature.signature)
    assert not witness.verifies(head.body(), later)
    assert not witness.verifies(head_of(HISTORY, 6).body(), signature.signature)
    assert signed_message(head.body(), 7).startswith(b"cosignature/v1\ntime 7\n")


def test_a_log_key_and_a_witness_key_are_not_interchangeable() -> None:
    log_vkey = LOGS[ORIGIN][0].vkey
    witness_vkey = cosigner_of(WITNESS, WITNESS_KEY.public_key()).vkey

    with pytest.raises(NoteError, match="type 0x04"):
        parse_cosigner_vkey(log_vkey)
    with pytest.raises(NoteError, match="type 0x01"):
        note.parse_vkey(witness_vkey)
    as_log = note.signed_note(head_of(HISTORY, 5).body(), [])
    assert cosigned_by(checkpoint(head_of(HISTORY, 5)), [parse_cosigner_vkey(witness_vkey)]) == []
    assert as_log.endswith("\n\n")
