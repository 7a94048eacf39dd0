"""The feeds' partners in feed order, in blocks whose joined bytes are kept.

A change to one partner joins again only the block it is in: a publish
joins a few hundred block strings, not every partner's fragment, so the
Python work of a change does not grow with the register. What still grows
is copying the feed's bytes into its file, which C and the kernel do.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

Key = tuple[str, str]
"""Where a partner stands in the feeds (``projections.feeds.feed_order``)."""

BLOCK = 128
"""Partners a block holds at most before it is split in two."""


@dataclass
class _Block:
    keys: list[Key] = field(default_factory=list)
    json: list[bytes] = field(default_factory=list)
    csv: list[bytes] = field(default_factory=list)
    joined: tuple[bytes, bytes] | None = None

    def parts(self) -> tuple[bytes, bytes]:
        if self.joined is None:
            self.joined = (b",\n".join(self.json), b"".join(self.csv))
        return self.joined


class FeedBlocks:
    """Each live partner's JSON fragment and CSV line, kept in feed order."""

    def __init__(self, block: int = BLOCK) -> None:
        self._block = block
        self._blocks: list[_Block] = []
        self._firsts: list[Key] = []
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def put(self, key: Key, json: bytes, csv: bytes) -> None:
        """Add a partner at its place, or replace what is held there."""
        if not self._blocks:
            self._blocks.append(_Block())
            self._firsts.append(key)
        index = self._block_for(key)
        block = self._blocks[index]
        at = bisect_left(block.keys, key)
        block.joined = None
        if at < len(block.keys) and block.keys[at] == key:
            block.json[at], block.csv[at] = json, csv
            return
        block.keys.insert(at, key)
        block.json.insert(at, json)
        block.csv.insert(at, csv)
        self._firsts[index] = block.keys[0]
        self._count += 1
        if len(block.keys) > self._block:
            self._split(index)

    def discard(self, key: Key) -> None:
        """Remove a partner, if held."""
        if not self._blocks:
            return
        index = self._block_for(key)
        block = self._blocks[index]
        at = bisect_left(block.keys, key)
        if at == len(block.keys) or block.keys[at] != key:
            return
        del block.keys[at], block.json[at], block.csv[at]
        block.joined = None
        self._count -= 1
        if block.keys:
            self._firsts[index] = block.keys[0]
        elif len(self._blocks) > 1:
            del self._blocks[index], self._firsts[index]

    def json_parts(self) -> list[bytes]:
        """The JSON fragments in feed order, joined with ``,\\n`` a block at a time."""
        return [block.parts()[0] for block in self._blocks if block.keys]

    def csv_parts(self) -> list[bytes]:
        """The CSV lines in feed order, a block at a time."""
        return [block.parts()[1] for block in self._blocks if block.keys]

    def _block_for(self, key: Key) -> int:
        """The block whose range holds the key: the last whose first key is not after it."""
        return max(bisect_right(self._firsts, key) - 1, 0)

    def _split(self, index: int) -> None:
        block = self._blocks[index]
        half = len(block.keys) // 2
        upper = _Block(block.keys[half:], block.json[half:], block.csv[half:])
        del block.keys[half:], block.json[half:], block.csv[half:]
        self._blocks.insert(index + 1, upper)
        self._firsts.insert(index + 1, upper.keys[0])
