"""The test vectors of docs/public-record.md, computed by our code from fixed inputs.

``python -m tests.public_record_vectors`` writes them to
``docs/public-record-vectors.json``; the test suite checks that the file and
the code still agree and that code not written here accepts them.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.record import merkle, note
from registry.record.chain import GENESIS, canonical_json, chain_hash_of_canonical
from registry.record.cosignature import cosign, cosigner_of, with_cosignatures
from registry.record.tree_head import TreeHead
from registry.record.witness_protocol import AddCheckpoint

VECTORS_FILE = Path(__file__).parents[1] / "docs" / "public-record-vectors.json"
ORIGIN = "example.org/partner-registry"
# A key for these vectors only: its private half is published here on purpose.
TEST_SEED = hashlib.sha256(b"partner-registry test vector key").digest()
WITNESS = "example.org/witness"
WITNESS_SEED = hashlib.sha256(b"partner-registry test vector witness key").digest()
COSIGNED_AT = 1_781_485_200

_BASE = {"actor": "officer.siti", "schema_version": 1, "recorded_at": "2026-06-15T03:00:00+00:00",
         "effective_date": "2026-06-14"}  # fmt: skip
_PLATFORM = {"name": "Contoh Belajar", "legal_form": "private_company", "legal_name": None,
             "registration_number": None, "website": "https://contoh.example",
             "national_coverage": True, "technology_ready": True, "open_marketplace": True,
             "commission_terms": None, "exemption_basis": None}  # fmt: skip
PARTNER = "0b7e3a43-5a43-4d0e-9a35-1c2f3c4d5e6f"
RECORDS: list[dict[str, Any]] = [
    {**_BASE, "partner_id": PARTNER, "version": 1, "type": "Registered",
     "reason": "Signed agreement", "data": _PLATFORM},
    {**_BASE, "partner_id": PARTNER, "version": 2, "type": "Warned",
     "reason": "Sales report late — ketiga kalinya", "data": {"warning_number": 1,
     "criterion": None, "obligation": "Monthly sales report", "deadline": "2026-07-15"}},
    {**_BASE, "partner_id": PARTNER, "version": 3, "type": "Evaluated",
     "reason": "Periodic review", "data": {"criteria": {
         c: {"verdict": "pass", "finding": f"{c} checked"} for c in
         ("legal_entity", "national_coverage", "open_marketplace", "technology")},
      "obligations": [], "outcome": "compliant", "resolved_warnings": [1]}},
    {**_BASE, "partner_id": PARTNER, "version": 4, "type": "Terminated",
     "reason": "Agreement ended", "data": {}},
]  # fmt: skip


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def vectors() -> dict[str, Any]:
    """Every vector: leaves, their hashes, chain, roots, proofs, a signed checkpoint and key."""
    key = Ed25519PrivateKey.from_private_bytes(TEST_SEED)
    leaves = [canonical_json(record) for record in RECORDS]
    tree = merkle.MemoryTree([merkle.leaf_hash(leaf) for leaf in leaves])
    chain, previous = [], GENESIS
    for leaf in leaves:
        previous = chain_hash_of_canonical(previous, leaf)
        chain.append(previous)
    size = len(leaves)
    body = TreeHead(ORIGIN, size, merkle.root(tree, size)).body()
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return {
        "origin": ORIGIN,
        "ed25519_seed_hex": TEST_SEED.hex(),
        "ed25519_public_key_hex": public.hex(),
        "vkey": note.verifier_of(ORIGIN, key.public_key()).vkey,
        "leaves": [leaf.decode() for leaf in leaves],
        "leaf_hashes_hex": [tree.subtree(0, i).hex() for i in range(size)],
        "chain_hashes_hex": chain,
        "roots_hex": {str(n): merkle.root(tree, n).hex() for n in range(size + 1)},
        "inclusion": {"index": 2, "size": size,
                      "proof": [_b64(h) for h in merkle.inclusion_proof(tree, size, 2)]},
        "consistency": {"old": 3, "new": size,
                        "proof": [_b64(h) for h in merkle.consistency_proof(tree, size, 3)]},
        "checkpoint_body": body,
        "checkpoint": note.signed_note(body, [note.sign(body, ORIGIN, key)]),
        **_witness_vectors(tree, body, note.signed_note(body, [note.sign(body, ORIGIN, key)])),
    }  # fmt: skip


def _witness_vectors(tree: merkle.MemoryTree, body: str, checkpoint: str) -> dict[str, Any]:
    """A witness's key, its cosignature of the checkpoint, and the request that asked for it."""
    witness = Ed25519PrivateKey.from_private_bytes(WITNESS_SEED)
    line = cosign(body, WITNESS, witness, COSIGNED_AT).line()
    request = AddCheckpoint(3, tuple(merkle.consistency_proof(tree, tree.size, 3)), checkpoint)
    return {
        "witness_seed_hex": WITNESS_SEED.hex(),
        "witness_vkey": cosigner_of(WITNESS, witness.public_key()).vkey,
        "cosignature_time": COSIGNED_AT,
        "cosigned_checkpoint": with_cosignatures(checkpoint, [line]),
        "add_checkpoint_request": request.body(),
    }


if __name__ == "__main__":
    VECTORS_FILE.write_text(json.dumps(vectors(), indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {VECTORS_FILE}")
