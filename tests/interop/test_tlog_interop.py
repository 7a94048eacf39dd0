"""Our transparency log, checked by code not written here: Go's sumdb note and tlog packages.

The Go program (``tlog_check.go``) opens our signed checkpoint with our
verifier key, recomputes the root from the records, checks our inclusion
and consistency proofs and our hash tiles, and answers with proofs of its
own and a note it signed, which we check in turn.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.record import merkle, note, tiles
from registry.record.tree_head import TreeHead, parse
from tests.public_record_vectors import VECTORS_FILE

CHECKER = Path(__file__).with_name("tlog_check.go")
GOPATH = "/usr/share/gocode"
ORIGIN = "registry.example/partner-record"
SIZE = 300


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def records(count: int) -> list[bytes]:
    return [json.dumps({"sequence": i + 1, "partner": f"p{i}"}).encode() for i in range(count)]


def run_go_checker(document: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    go = shutil.which("go")
    assert go is not None, "Go is not installed: run infra/local/ensure-go"
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": GOPATH,
           "GOCACHE": str(tmp_path / "gocache"), "GOFLAGS": ""}  # fmt: skip
    done = subprocess.run(
        [go, "run", str(CHECKER)], input=json.dumps(document), capture_output=True,
        text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


@pytest.fixture(scope="module")
def log() -> dict[str, Any]:
    """A signed log of 300 records with proofs and tiles, as the registry would publish it."""
    key = Ed25519PrivateKey.generate()
    leaves = records(SIZE)
    tree = merkle.MemoryTree([merkle.leaf_hash(leaf) for leaf in leaves])
    head = TreeHead(ORIGIN, SIZE, merkle.root(tree, SIZE))
    checkpoint = note.signed_note(head.body(), [note.sign(head.body(), ORIGIN, key)])
    inclusion = [(i, n) for i, n in ((0, 1), (5, 8), (255, 256), (256, 300), (299, SIZE))]
    consistency = [(m, n) for m, n in ((1, 2), (3, 8), (7, 300), (256, 300), (299, SIZE))]
    return {
        "vkey": note.verifier_of(ORIGIN, key.public_key()).vkey,
        "checkpoint": checkpoint,
        "leaves": [b64(leaf) for leaf in leaves],
        "inclusion": [
            {
                "index": i,
                "size": n,
                "proof": [b64(h) for h in merkle.inclusion_proof(tree, n, i)],
            }
            for i, n in inclusion
        ],
        "consistency": [
            {"old": m, "new": n, "proof": [b64(h) for h in merkle.consistency_proof(tree, n, m)]}
            for m, n in consistency
        ],
        "tiles": {path: b64(data) for path, data in tiles.hash_tiles(tree, SIZE).items()},
    }


@pytest.fixture(scope="module")
def go_answer(log: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_go_checker(log, tmp_path_factory.mktemp("go"))


def test_go_opens_our_checkpoint_and_recomputes_its_root(go_answer: dict[str, Any]) -> None:
    assert go_answer["errors"] == []
    assert (go_answer["origin"], go_answer["size"]) == (ORIGIN, SIZE)
    assert {"note signature", "root hash"} <= set(go_answer["checked"])


def test_go_accepts_our_inclusion_and_consistency_proofs_and_gives_the_same(
    log: dict[str, Any], go_answer: dict[str, Any]
) -> None:
    checked = set(go_answer["checked"])
    assert {f"inclusion {p['index']} in {p['size']}" for p in log["inclusion"]} <= checked
    assert {f"consistency {p['old']} to {p['new']}" for p in log["consistency"]} <= checked
    assert go_answer["go_inclusion"] == [p["proof"] for p in log["inclusion"]]
    assert go_answer["go_consistency"] == [p["proof"] for p in log["consistency"]]


def test_go_reads_our_hash_tiles_as_its_own(log: dict[str, Any], go_answer: dict[str, Any]) -> None:
    # Given 300 leaves: a full and a partial tile of leaf hashes, one hash one level up
    assert set(log["tiles"]) == {"tile/0/000", "tile/0/001.p/44", "tile/1/000.p/1"}
    assert {f"tile {path}" for path in log["tiles"]} <= set(go_answer["checked"])


def test_we_open_a_note_go_signed_with_its_verifier_key(go_answer: dict[str, Any]) -> None:
    verifier = note.parse_vkey(go_answer["go_vkey"])

    text, signed_by = note.open_note(go_answer["go_note"], [verifier])

    assert parse(text).size == SIZE
    assert [v.name for v in signed_by] == ["go.example/witness"]


def test_go_refuses_a_checkpoint_whose_signature_is_not_the_keys(
    log: dict[str, Any], tmp_path: Path
) -> None:
    # Given our checkpoint with one byte of the root changed after signing
    text, signatures = note.split(log["checkpoint"])
    head = parse(text)
    forged_root = bytes([head.root_hash[0] ^ 1]) + head.root_hash[1:]
    forged = TreeHead(head.origin, head.size, forged_root).body()

    # When Go opens it with our key
    answer = run_go_checker({**log, "checkpoint": note.signed_note(forged, signatures)}, tmp_path)

    # Then it refuses the note
    assert any("checkpoint note" in e for e in answer["errors"])


def test_go_accepts_the_published_test_vectors(tmp_path: Path) -> None:
    # Given the vectors docs/public-record.md publishes for implementers
    v = json.loads(VECTORS_FILE.read_text())
    document = {
        "vkey": v["vkey"], "checkpoint": v["checkpoint"],
        "leaves": [b64(leaf.encode()) for leaf in v["leaves"]],
        "inclusion": [v["inclusion"]], "consistency": [v["consistency"]], "tiles": {},
    }  # fmt: skip

    # When Go's reference packages check them
    answer = run_go_checker(document, tmp_path)

    # Then the note, the root and both proofs hold
    assert answer["errors"] == []
    assert answer["size"] == len(v["leaves"])


def test_go_opens_the_cosigned_checkpoint_with_the_logs_key_alone(tmp_path: Path) -> None:
    # Given the published checkpoint with a witness's cosignature line added
    v = json.loads(VECTORS_FILE.read_text())
    document = {
        "vkey": v["vkey"], "checkpoint": v["cosigned_checkpoint"],
        "leaves": [b64(leaf.encode()) for leaf in v["leaves"]],
        "inclusion": [], "consistency": [], "tiles": {},
    }  # fmt: skip

    # When Go's sumdb/note opens it knowing only the log's key
    answer = run_go_checker(document, tmp_path)

    # Then the unknown (witness) signature is ignored, as the signed-note spec requires
    assert answer["errors"] == []
    assert v["cosigned_checkpoint"] != v["checkpoint"]
