"""The record's Merkle tree: RFC 6962 hashes, roots and proofs that fail when they should."""

from __future__ import annotations

import pytest

from registry.record import merkle
from registry.record.merkle import MemoryTree, ProofError

# RFC 6962's reference leaves and the roots Certificate Transparency publishes for them.
LEAVES = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43",
          b"\x50\x51\x52\x53\x54\x55\x56\x57", bytes(range(0x60, 0x70))]  # fmt: skip
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def tree_of(count: int) -> MemoryTree:
    return MemoryTree([merkle.leaf_hash(bytes([i % 256, i // 256])) for i in range(count)])


def test_roots_match_the_reference_values_at_every_size() -> None:
    tree = MemoryTree([merkle.leaf_hash(leaf) for leaf in LEAVES])

    assert [merkle.root(tree, n).hex() for n in range(1, 9)] == ROOTS
    assert merkle.root(tree, 0) == merkle.EMPTY_ROOT


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 64, 100])
def test_every_leaf_is_proved_included_and_every_prefix_consistent(size: int) -> None:
    tree = tree_of(size)
    head = merkle.root(tree, size)

    for index in range(size):
        proof = merkle.inclusion_proof(tree, size, index)
        merkle.verify_inclusion(tree.subtree(0, index), index, size, proof, head)
    for old in range(1, size + 1):
        proof = merkle.consistency_proof(tree, size, old)
        merkle.verify_consistency(old, size, merkle.root(tree, old), head, proof)


def test_an_inclusion_proof_fails_for_another_leaf_index_or_root() -> None:
    tree = tree_of(10)
    head = merkle.root(tree, 10)
    proof = merkle.inclusion_proof(tree, 10, 3)

    for leaf, index, root in [
        (tree.subtree(0, 4), 3, head),
        (tree.subtree(0, 3), 4, head),
        (tree.subtree(0, 3), 3, merkle.root(tree, 9)),
    ]:
        with pytest.raises(ProofError):
            merkle.verify_inclusion(leaf, index, 10, proof, root)
    with pytest.raises(ProofError):
        merkle.verify_inclusion(tree.subtree(0, 3), 3, 10, [*proof, head], head)


def test_a_consistency_proof_fails_for_a_rewritten_history() -> None:
    # Given a tree of 7 leaves and another whose third leaf was rewritten
    honest, rewritten = tree_of(7), MemoryTree()
    for i in range(7):
        rewritten.append(merkle.leaf_hash(b"rewritten" if i == 2 else bytes([i, 0])))

    # When the rewritten log claims to extend the honest one's first 4 leaves
    proof = merkle.consistency_proof(rewritten, 7, 4)

    # Then the proof does not join the honest old root to the new one
    with pytest.raises(ProofError):
        merkle.verify_consistency(4, 7, merkle.root(honest, 4), merkle.root(rewritten, 7), proof)


def test_two_different_trees_of_one_size_are_not_consistent() -> None:
    other = MemoryTree([merkle.leaf_hash(b"split view %d" % i) for i in range(5)])

    with pytest.raises(ProofError, match="two different trees"):
        merkle.verify_consistency(5, 5, merkle.root(tree_of(5), 5), merkle.root(other, 5), [])


def test_proofs_are_refused_outside_the_tree() -> None:
    tree = tree_of(4)
    with pytest.raises(ProofError):
        merkle.inclusion_proof(tree, 4, 4)
    with pytest.raises(ProofError):
        merkle.consistency_proof(tree, 4, 0)


def test_the_frontier_appends_and_roots_like_the_whole_tree() -> None:
    # Given a whole tree and a frontier, both fed the same leaves
    tree, frontier = MemoryTree(), merkle.Frontier()

    for i in range(300):
        leaf = merkle.leaf_hash(i.to_bytes(2, "big"))
        # When a leaf is appended to each
        completed = frontier.append(leaf)

        # Then they complete the same subtrees and agree on the root
        assert completed == tree.append(leaf)
        assert frontier.root() == merkle.root(tree, i + 1)


def test_a_frontier_rebuilt_from_stored_subtrees_continues_the_same_tree() -> None:
    tree = tree_of(77)
    resumed = merkle.Frontier.of(tree, 77)

    resumed.append(merkle.leaf_hash(b"next"))
    tree.append(merkle.leaf_hash(b"next"))

    assert resumed.root() == merkle.root(tree, 78)
