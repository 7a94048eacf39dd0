"""The public record as an RFC 6962 Merkle tree: leaf and node hashes, roots and proofs.

Hashes follow RFC 6962 (and RFC 9162, which keeps them): a leaf hashes its
bytes after a 0x00 byte, an interior node the concatenation of its two
children after a 0x01 byte, with SHA-256. The tree over n leaves splits at
the largest power of two below n. Proofs are the RFC 9162 inclusion and
consistency proofs (sections 2.1.3 and 2.1.4), so that any implementation
of those RFCs (Certificate Transparency's, Go's ``sumdb/tlog``) checks ours.

Everything is computed from the roots of complete subtrees (2**level leaves
starting at a multiple of 2**level), which never change once their last
leaf is appended: a log keeps those and answers any root or proof with
O(log² n) of them, and its hash tiles are rows of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof that does not prove what it is offered for."""


class Subtrees(Protocol):
    """Where the roots of a tree's complete subtrees are kept."""

    def subtree(self, level: int, index: int) -> bytes:
        """The root of leaves [index·2**level, (index+1)·2**level)."""


def leaf_hash(leaf: bytes) -> bytes:
    """The hash of one record's bytes as a leaf."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node from its two children."""
    return hashlib.sha256(b"\x01" + left + right).digest()


class MemoryTree:
    """The complete subtrees of a growing tree, kept in memory, level by level."""

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        for leaf in leaf_hashes:
            self.append(leaf)

    @property
    def size(self) -> int:
        """How many leaves the tree has."""
        return len(self._levels[0])

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; the subtrees it completes, as (level, index, hash)."""
        completed = [(0, self.size, leaf)]
        self._levels[0].append(leaf)
        level = 0
        while len(self._levels[level]) % 2 == 0:
            row = self._levels[level]
            parent = node_hash(row[-2], row[-1])
            if len(self._levels) == level + 1:
                self._levels.append([])
            self._levels[level + 1].append(parent)
            completed.append((level + 1, len(self._levels[level + 1]) - 1, parent))
            level += 1
        return completed

    def subtree(self, level: int, index: int) -> bytes:
        """The root of a complete subtree (see ``Subtrees``)."""
        return self._levels[level][index]


class Frontier:
    """The right edge of a growing tree: its largest complete subtrees, left to right.

    Enough to append leaves and compute the root without reading the rest,
    so the log's sequencer keeps only this in memory (at most 64 hashes).
    """

    def __init__(self, size: int = 0, nodes: Sequence[bytes] = ()) -> None:
        levels = [bit for bit in range(size.bit_length() - 1, -1, -1) if size >> bit & 1]
        if len(levels) != len(nodes):
            msg = f"a tree of size {size} has {len(levels)} frontier nodes, not {len(nodes)}"
            raise ValueError(msg)
        self.size = size
        self._nodes = list(zip(levels, nodes, strict=True))

    @classmethod
    def of(cls, tree: Subtrees, size: int) -> Frontier:
        """The frontier of the tree's first ``size`` leaves."""
        nodes, start = [], 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                nodes.append(tree.subtree(level, start >> level))
                start += 1 << level
        return cls(size, nodes)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; the subtrees it completes, as (level, index, hash)."""
        self._nodes.append((0, leaf))
        self.size += 1
        completed = [(0, self.size - 1, leaf)]
        while len(self._nodes) > 1 and self._nodes[-2][0] == self._nodes[-1][0]:
            (level, left), (_, right) = self._nodes[-2:]
            parent = (level + 1, node_hash(left, right))
            self._nodes[-2:] = [parent]
            completed.append((level + 1, (self.size >> (level + 1)) - 1, parent[1]))
        return completed

    def copy(self) -> Frontier:
        """An independent frontier of the same tree (its nodes are already known to fit)."""
        twin = Frontier.__new__(Frontier)
        twin.size, twin._nodes = self.size, list(self._nodes)
        return twin

    def to_text(self) -> str:
        """The frontier's hashes in hex, left to right, for keeping beside its size."""
        return " ".join(node.hex() for _, node in self._nodes)

    @classmethod
    def from_text(cls, size: int, text: str) -> Frontier:
        """The frontier of ``size`` leaves kept by ``to_text``."""
        return cls(size, [bytes.fromhex(h) for h in text.split()])

    def root(self) -> bytes:
        """The root hash of the tree so far."""
        if not self._nodes:
            return EMPTY_ROOT
        digest = self._nodes[-1][1]
        for _, node in reversed(self._nodes[:-1]):
            digest = node_hash(node, digest)
        return digest


def range_root(tree: Subtrees, start: int, end: int) -> bytes:
    """The RFC 9162 hash of leaves [start, end), ``start`` aligned as the tree splits it."""
    count = end - start
    if count == 0:
        return EMPTY_ROOT
    if count & (count - 1) == 0 and start % count == 0:
        return tree.subtree(count.bit_length() - 1, start // count)
    k = _split(count)
    return node_hash(range_root(tree, start, start + k), range_root(tree, start + k, end))


def root(tree: Subtrees, size: int) -> bytes:
    """The root hash of the tree's first ``size`` leaves (RFC 9162 MTH)."""
    return range_root(tree, 0, size)


def inclusion_proof(tree: Subtrees, size: int, index: int) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``size`` leaves (RFC 9162 PATH)."""
    if not 0 <= index < size:
        msg = f"leaf {index} is not in a tree of size {size}"
        raise ProofError(msg)
    proof: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            proof.append(range_root(tree, start + k, end))
            end = start + k
        else:
            proof.append(range_root(tree, start, start + k))
            start += k
    return proof[::-1]


def consistency_proof(tree: Subtrees, size: int, old_size: int) -> list[bytes]:
    """The proof that the first ``old_size`` leaves' tree is a prefix (RFC 9162 PROOF)."""
    if not 0 < old_size <= size:
        msg = f"no consistency proof from size {old_size} to {size}"
        raise ProofError(msg)
    proof: list[bytes] = []
    start, end, complete = 0, size, True
    while True:
        if old_size == end:
            if not complete:
                proof.append(range_root(tree, start, end))
            return proof[::-1]
        k = _split(end - start)
        if old_size <= start + k:
            proof.append(range_root(tree, start + k, end))
            end = start + k
        else:
            proof.append(range_root(tree, start, start + k))
            start, complete = start + k, False


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes
) -> None:
    """Raise ProofError unless ``proof`` puts leaf hash ``leaf`` at ``index`` under the root."""
    if not 0 <= index < size:
        msg = f"leaf {index} is not in a tree of size {size}"
        raise ProofError(msg)
    fn, sn, node = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the tree is deep")
        if fn % 2 == 1 or fn == sn:
            node = node_hash(sibling, node)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = node_hash(node, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or node != expected_root:
        raise ProofError(f"leaf {index} is not in the tree of size {size} with that root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ProofError unless ``proof`` shows the old tree is a prefix of the new one."""
    if not 0 < old_size <= new_size:
        msg = f"no consistency between sizes {old_size} and {new_size}"
        raise ProofError(msg)
    if old_size == new_size:
        if proof or old_root != new_root:
            raise ProofError(f"two different trees of size {new_size}")
        return
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    if not path:
        raise ProofError("the consistency proof is empty")
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for node in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(node, fr), node_hash(node, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, node)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or fr != old_root or sr != new_root:
        raise ProofError(f"the tree of size {new_size} does not extend that of size {old_size}")


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)
