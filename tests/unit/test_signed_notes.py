"""Checkpoints are C2SP signed notes: signed, opened, and refused when anything differs."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.record import note
from registry.record.log_verification import header_problem, signature_starts
from registry.record.messages import PublishedEvent
from registry.record.note import NoteError
from registry.record.tree_head import TreeHead, TreeHeadError, parse

KEY = Ed25519PrivateKey.generate()
NAME = "registry.example/log"
HEAD = TreeHead(NAME, 42, bytes(range(32)))


def signed(text: str = HEAD.body(), key: Ed25519PrivateKey = KEY, name: str = NAME) -> str:
    return note.signed_note(text, [note.sign(text, name, key)])


def test_a_signed_checkpoint_opens_with_its_vkey_and_reads_back() -> None:
    verifier = note.parse_vkey(note.verifier_of(NAME, KEY.public_key()).vkey)

    text, signed_by = note.open_note(signed(), [verifier])

    assert parse(text) == HEAD
    assert signed_by == [verifier]


def test_a_note_signed_by_another_key_or_name_or_altered_is_refused() -> None:
    verifier = note.verifier_of(NAME, KEY.public_key())
    altered = signed().replace("\n42\n", "\n43\n")

    for forged in (signed(key=Ed25519PrivateKey.generate()), signed(name="other.example/log"),
                   altered):  # fmt: skip
        with pytest.raises(NoteError, match="no trusted key"):
            note.open_note(forged, [verifier])


def test_a_vkey_whose_hash_does_not_match_its_key_is_refused() -> None:
    name, key_hash, key = note.verifier_of(NAME, KEY.public_key()).vkey.split("+", 2)

    with pytest.raises(NoteError, match="hash does not match"):
        note.parse_vkey(f"{name}+{'0' * 8}+{key}")
    with pytest.raises(NoteError):
        note.parse_vkey(f"{name}+{key_hash}+not-base64")


@pytest.mark.parametrize(
    "body",
    ["origin\n42\n", "origin\n042\n" + "A" * 43 + "=\n", "origin\n-1\nAAAA\n", "origin\n1\nAAAA\n",
     "origin\n1\n" + "A" * 43 + "=", "\n1\n" + "A" * 43 + "=\n"],
)  # fmt: skip
def test_a_malformed_checkpoint_body_is_refused(body: str) -> None:
    with pytest.raises(TreeHeadError):
        parse(body)


def test_a_note_without_a_signature_block_is_refused() -> None:
    with pytest.raises(NoteError):
        note.split(HEAD.body())


@pytest.mark.parametrize(
    "block",
    ["not a signature\n", "\u2014 name !!!notbase64\n", "\u2014 name AAAA\n"],
)
def test_malformed_signature_lines_are_refused(block: str) -> None:
    with pytest.raises(NoteError, match="signature"):
        note.split(HEAD.body() + "\n" + block)


@pytest.mark.parametrize("vkey", ["name+zz+AAAA", f"{NAME}+00000000+AAAA"])
def test_a_vkey_that_is_not_an_ed25519_key_is_refused(vkey: str) -> None:
    with pytest.raises(NoteError):
        note.parse_vkey(vkey)


def test_key_names_and_note_texts_are_checked_before_signing() -> None:
    with pytest.raises(NoteError, match="key name"):
        note.verifier_of("two words", KEY.public_key())
    with pytest.raises(NoteError, match="newline"):
        note.sign("no final newline", NAME, KEY)


def test_a_records_header_is_refused_unless_a_trusted_key_heads_a_signature_line() -> None:
    """The check made on every record, before the run's one signature verification."""
    trusted = note.verifier_of(NAME, KEY.public_key())
    signers = signature_starts([trusted])
    others = [Ed25519PrivateKey.generate() for _ in range(50)]

    def problem(checkpoint: str) -> tuple[str, str] | None:
        event = PublishedEvent({}, 42, 42, "0" * 64, checkpoint=checkpoint)  # type: ignore[arg-type]
        return header_problem(event, signers)

    assert problem(signed()) is None
    assert problem(note.signed_note(HEAD.body(), [note.sign(HEAD.body(), "a", others[0]),
                                                  note.sign(HEAD.body(), NAME, KEY)])) is None  # fmt: skip
    assert [problem(signed(key=other)) for other in others] == [
        ("forged", "sequence 42: no trusted key signed its checkpoint")
    ] * len(others)
    assert problem(signed(name="other.example/log")) is not None
    assert problem(signed(text=TreeHead(NAME, 41, bytes(32)).body()))[0] == "misplaced"  # type: ignore[index]
    assert problem("")[0] == "unsigned"  # type: ignore[index]
    assert problem(HEAD.body())[0] == "forged"  # type: ignore[index]
    assert problem(HEAD.body() + "\n")[0] == "forged"  # type: ignore[index]
    assert problem(signed(text=TreeHead(NAME, 420, bytes(32)).body()))[0] == "misplaced"  # type: ignore[index]
