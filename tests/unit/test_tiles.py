"""Tiles of the log (C2SP tlog-tiles): paths written and read back, bundles, partial widths."""

from __future__ import annotations

import pytest

from registry.record import merkle, tiles
from registry.record.tile_paths import TilePathError, TileRef, parse_tile_path


@pytest.mark.parametrize(
    ("index", "written"),
    [(0, "000"), (7, "007"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")],
)
def test_tile_indexes_are_written_in_x_prefixed_groups_of_three(index: int, written: str) -> None:
    assert tiles.index_path(index) == written
    assert parse_tile_path(f"0/{written}") == TileRef(0, index, tiles.TILE_WIDTH)


def test_partial_tiles_and_bundles_carry_their_width() -> None:
    assert tiles.tile_path(2, 5, 17) == "tile/2/005.p/17"
    assert tiles.entries_path(1000, 3) == "tile/entries/x001/000.p/3"
    assert parse_tile_path("entries/x001/000.p/3") == TileRef(None, 1000, 3)
    assert not parse_tile_path("1/000.p/255").full


@pytest.mark.parametrize(
    "path", ["0/1", "0/0000", "0/000.p/0", "0/000.p/256", "0/000.p/07", "x/000", "01/000",
             "64/000", "entries/x01/000", "0/001/002"],
)  # fmt: skip
def test_paths_that_name_no_tile_are_refused(path: str) -> None:
    with pytest.raises(TilePathError):
        parse_tile_path(path)


def test_an_entry_bundle_holds_each_record_after_its_length() -> None:
    records = [b"", b"a", b"\x00" * 300, "é".encode()]

    bundle = tiles.entry_bundle(records)

    assert bundle[:4] == b"\x00\x00\x00\x01"
    assert tiles.bundle_entries(bundle) == records


def test_bundles_refuse_too_many_or_too_long_records_and_truncation() -> None:
    with pytest.raises(ValueError, match="at most"):
        tiles.entry_bundle([b"x"] * 257)
    with pytest.raises(ValueError, match="longer"):
        tiles.entry_bundle([b"x" * 70_000])
    with pytest.raises(ValueError, match="ends inside"):
        tiles.bundle_entries(b"\x00\x05abc")


def test_a_tree_of_257_leaves_has_one_full_and_one_partial_leaf_tile_and_one_hash_above() -> None:
    tree = merkle.MemoryTree([merkle.leaf_hash(bytes([i % 256, i // 256])) for i in range(257)])

    found = tiles.hash_tiles(tree, 257)

    assert set(found) == {"tile/0/000", "tile/0/001.p/1", "tile/1/000.p/1"}
    assert found["tile/1/000.p/1"] == merkle.root(tree, 256)
    assert found["tile/0/001.p/1"] == tree.subtree(0, 256)
    assert tiles.tile_width(257, 0, 2) == 0
