"""The log as C2SP tlog-tiles: fixed files any static server or CDN can serve.

A hash tile at level L holds up to 256 consecutive hashes of the tree's
nodes at height 8·L (level 0: the leaf hashes), concatenated; tile N of a
level starts at node 256·N. The rightmost tile of a level may be partial,
with W < 256 hashes, at ``.p/W``. An entries tile (a "bundle") holds the
records of 256 consecutive leaves, each as a big-endian 2-byte length and
the record's bytes. A full tile never changes, so it can be cached forever.
Tile indexes are written in groups of three digits, all but the last
prefixed with ``x`` (1234067 → ``x001/x234/067``).
"""

from __future__ import annotations

from collections.abc import Sequence

from registry.record.merkle import Subtrees

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
_MAX_ENTRY = 0xFFFF


def index_path(index: int) -> str:
    """A tile index as path segments (``x001/x234/067``)."""
    digits = str(index)
    digits = digits.zfill(-(-len(digits) // 3) * 3)
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """The path of hash tile ``index`` at ``level``, partial when ``width`` < 256."""
    partial = f".p/{width}" if width < TILE_WIDTH else ""
    return f"tile/{level}/{index_path(index)}{partial}"


def entries_path(index: int, width: int = TILE_WIDTH) -> str:
    """The path of entry bundle ``index``, partial when ``width`` < 256."""
    partial = f".p/{width}" if width < TILE_WIDTH else ""
    return f"tile/entries/{index_path(index)}{partial}"


def tile_width(size: int, level: int, index: int) -> int:
    """How many hashes tile ``index`` at ``level`` holds in a tree of ``size`` leaves."""
    nodes = size >> (TILE_HEIGHT * level)
    return max(min(nodes - index * TILE_WIDTH, TILE_WIDTH), 0)


def hash_tile(tree: Subtrees, size: int, level: int, index: int) -> bytes:
    """The hashes of tile ``index`` at ``level``: nodes at height 8·level, left to right."""
    first = index * TILE_WIDTH
    width = tile_width(size, level, index)
    return b"".join(tree.subtree(TILE_HEIGHT * level, first + i) for i in range(width))


def hash_tiles(tree: Subtrees, size: int) -> dict[str, bytes]:
    """Every hash tile of the tree of ``size`` leaves, by path."""
    tiles: dict[str, bytes] = {}
    level = 0
    while nodes := size >> (TILE_HEIGHT * level):
        for index in range(-(-nodes // TILE_WIDTH)):
            path = tile_path(level, index, tile_width(size, level, index))
            tiles[path] = hash_tile(tree, size, level, index)
        level += 1
    return tiles


def entry_bundle(entries: Sequence[bytes]) -> bytes:
    """Up to 256 consecutive records as one entries tile."""
    if len(entries) > TILE_WIDTH:
        msg = f"a bundle holds at most {TILE_WIDTH} entries"
        raise ValueError(msg)
    if any(len(e) > _MAX_ENTRY for e in entries):
        msg = f"an entry is longer than {_MAX_ENTRY} bytes"
        raise ValueError(msg)
    return b"".join(len(e).to_bytes(2, "big") + e for e in entries)


def bundle_entries(bundle: bytes) -> list[bytes]:
    """The records of an entries tile."""
    entries, at = [], 0
    while at < len(bundle):
        size = int.from_bytes(bundle[at : at + 2], "big")
        entry = bundle[at + 2 : at + 2 + size]
        if len(entry) != size:
            raise ValueError("the bundle ends inside an entry")
        entries.append(entry)
        at += 2 + size
    return entries
