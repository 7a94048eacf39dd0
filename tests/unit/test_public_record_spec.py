"""docs/public-record.md's test vectors are what the code computes, and they verify."""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from registry.record import merkle, note
from registry.record.chain import GENESIS
from registry.record.tree_head import parse
from tests.public_record_vectors import VECTORS_FILE, vectors


def test_the_published_vectors_are_what_the_code_computes() -> None:
    published = json.loads(VECTORS_FILE.read_text())

    assert published == vectors()


def test_the_published_vectors_verify_by_the_rules_the_document_states() -> None:
    v = json.loads(VECTORS_FILE.read_text())
    leaves = [leaf.encode() for leaf in v["leaves"]]

    # A leaf hash is SHA-256 over 0x00 and the leaf's bytes
    assert [hashlib.sha256(b"\x00" + leaf).hexdigest() for leaf in leaves] == v["leaf_hashes_hex"]
    # A chain hash is SHA-256 over the previous hash as 64 hex characters, "\n", the leaf
    previous = GENESIS
    for leaf, expected in zip(leaves, v["chain_hashes_hex"], strict=True):
        previous = hashlib.sha256(previous.encode() + b"\n" + leaf).hexdigest()
        assert previous == expected
    # The checkpoint opens with the vkey and states the root of all four leaves
    text, _ = note.open_note(v["checkpoint"], [note.parse_vkey(v["vkey"])])
    head = parse(text)
    assert text == v["checkpoint_body"]
    assert head.root_hash.hex() == v["roots_hex"][str(head.size)]
    # The proofs prove what they say
    inclusion, consistency = v["inclusion"], v["consistency"]
    merkle.verify_inclusion(
        bytes.fromhex(v["leaf_hashes_hex"][inclusion["index"]]), inclusion["index"],
        inclusion["size"], [base64.b64decode(h) for h in inclusion["proof"]], head.root_hash,
    )  # fmt: skip
    merkle.verify_consistency(
        consistency["old"], consistency["new"], bytes.fromhex(v["roots_hex"]["3"]),
        head.root_hash, [base64.b64decode(h) for h in consistency["proof"]],
    )  # fmt: skip


def test_the_cosignature_vector_verifies_by_the_rules_the_document_states() -> None:
    v = json.loads(VECTORS_FILE.read_text())
    name, key_hash_hex, key_b64 = v["witness_vkey"].split("+", 2)
    raw = base64.b64decode(key_b64)
    line = v["cosigned_checkpoint"].splitlines()[-1]
    signed = base64.b64decode(line.rsplit(" ", 1)[1])

    # The witness key is type 0x04, its hash SHA-256(name, "\n", 0x04, key)[:4]
    assert raw[:1] == b"\x04"
    assert hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() == key_hash_hex
    # The line is the key hash, the time (8 bytes, big-endian), the Ed25519 signature over
    # "cosignature/v1\n", "time <t>\n" and the checkpoint body
    assert line.startswith(f"\u2014 {name} ")
    assert signed[:4].hex() == key_hash_hex
    assert int.from_bytes(signed[4:12], "big") == v["cosignature_time"]
    message = f"cosignature/v1\ntime {v['cosignature_time']}\n{v['checkpoint_body']}".encode()
    Ed25519PublicKey.from_public_bytes(raw[1:]).verify(signed[12:], message)
    # The request names the old size, the proof lines, a blank line, then the checkpoint
    request = v["add_checkpoint_request"]
    assert request.startswith("old 3\n")
    assert request.endswith("\n\n" + v["checkpoint"])
