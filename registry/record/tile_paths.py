"""Reading C2SP tlog-tiles paths back: which tile a request names, and how wide."""

from __future__ import annotations

import re
from dataclasses import dataclass

from registry.record.tiles import TILE_WIDTH

_INDEX = re.compile(r"^(?:x\d{3}/)*\d{3}$")
_PARTIAL = re.compile(r"^(?P<index>.+)\.p/(?P<width>\d+)$")
MAX_LEVEL = 63


class TilePathError(ValueError):
    """A path that names no tile."""


@dataclass(frozen=True)
class TileRef:
    """A hash tile (``level`` >= 0) or an entry bundle (``level`` is None), and its width."""

    level: int | None
    index: int
    width: int

    @property
    def full(self) -> bool:
        """Whether the tile is complete, and so never changes."""
        return self.width == TILE_WIDTH


def parse_tile_path(path: str) -> TileRef:
    """The tile ``<L>/<N>[.p/<W>]`` or ``entries/<N>[.p/<W>]`` names (after ``tile/``)."""
    kind, _, rest = path.partition("/")
    width = TILE_WIDTH
    partial = _PARTIAL.match(rest)
    if partial:
        rest, width = partial["index"], int(partial["width"])
        if not 0 < width < TILE_WIDTH or partial["width"].startswith("0"):
            raise TilePathError(f"a partial tile's width is 1 to {TILE_WIDTH - 1}")
    if not _INDEX.match(rest):
        raise TilePathError("a tile index is groups of three digits, all but the last x-prefixed")
    index = int(rest.replace("x", "").replace("/", ""))
    if kind == "entries":
        return TileRef(None, index, width)
    if not kind.isdigit() or int(kind) > MAX_LEVEL or (kind != "0" and kind.startswith("0")):
        raise TilePathError("a tile level is a small decimal number")
    return TileRef(int(kind), index, width)
