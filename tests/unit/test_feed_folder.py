"""The feed folder: a feed is its manifest's parts; a change writes only the parts it lacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.adapters import feed_folder
from registry.adapters.feed_folder import (
    PARTS,
    FeedFolderError,
    FeedReader,
    FeedWriter,
    manifest_path,
    part_name,
)

FEED = "current-partners.json"


def blocks(count: int) -> list[bytes]:
    return [b"block %d " % n * 100 for n in range(count)]


def parts_in(folder: Path) -> set[str]:
    return {p.name for p in (folder / PARTS).iterdir()}


def test_a_change_to_one_block_writes_that_block_and_the_manifest_only(tmp_path: Path) -> None:
    # given a feed of a hundred blocks, published
    writer = FeedWriter(tmp_path)
    pieces = blocks(100)
    writer.write(FEED, pieces)
    before = parts_in(tmp_path)

    # when one block changes and the feed is published again
    pieces[40] = b"changed " * 100
    written = writer.write(FEED, pieces)

    # then one part more is on disk, and the feed reads as the new pieces joined
    assert written is True
    assert parts_in(tmp_path) - before == {part_name(pieces[40])}
    assert FeedReader(tmp_path).read(FEED).body == b"".join(pieces)  # type: ignore[union-attr]


def test_publishing_the_same_bytes_again_writes_nothing(tmp_path: Path) -> None:
    # given a published feed
    writer = FeedWriter(tmp_path)
    writer.write(FEED, blocks(3))
    stamp = manifest_path(tmp_path, FEED).stat().st_mtime_ns

    # when the same pieces are published again, by this publisher and by a restarted one
    again = writer.write(FEED, blocks(3))
    restarted = FeedWriter(tmp_path).write(FEED, blocks(3))

    # then neither wrote anything
    assert (again, restarted) == (False, False)
    assert manifest_path(tmp_path, FEED).stat().st_mtime_ns == stamp


def test_blocks_kept_from_the_last_version_are_not_hashed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a feed of a thousand blocks, published
    writer = FeedWriter(tmp_path)
    pieces = blocks(1000)
    writer.write(FEED, pieces)
    hashed: list[bytes] = []

    def counted(piece: bytes) -> str:
        hashed.append(piece)
        return part_name(piece)

    monkeypatch.setattr(feed_folder, "part_name", counted)

    # when one block is replaced and the feed published again
    pieces[7] = b"new " * 10
    writer.write(FEED, pieces)

    # then only the new block was hashed: the cost follows the change, not the feed
    assert hashed == [pieces[7]]


def test_a_part_altered_on_disk_is_refused_not_served(tmp_path: Path) -> None:
    # given a published feed whose first part was overwritten
    pieces = blocks(2)
    FeedWriter(tmp_path).write(FEED, pieces)
    (tmp_path / PARTS / part_name(pieces[0])).write_bytes(b"forged")

    # when a reader reads it, then it refuses the feed
    with pytest.raises(FeedFolderError, match="does not hold the bytes"):
        FeedReader(tmp_path).read(FEED)


def test_parts_no_manifest_names_are_deleted_only_after_the_grace_period(tmp_path: Path) -> None:
    # given a feed published, then replaced by one sharing none of its parts
    now = [0.0]
    writer = FeedWriter(tmp_path, grace=60, clock=lambda: now[0])
    old, new = blocks(2), [b"other"]
    writer.write(FEED, old)
    writer.write(FEED, new)

    # when the publisher sweeps now, through the grace period, and once it has passed
    at_once = writer.sweep()
    within = []
    for now[0] in (15.0, 30.0, 45.0, 59.0):
        within += writer.sweep()
    now[0] = 61.0
    later = writer.sweep()

    # then the old parts outlive readers still holding the old manifest, then go
    assert at_once == within == []
    assert sorted(later) == sorted(part_name(p) for p in old)
    assert parts_in(tmp_path) == {part_name(b"other")}
    assert FeedReader(tmp_path).read(FEED).body == b"other"  # type: ignore[union-attr]


def test_a_part_named_again_before_its_grace_ends_is_kept(tmp_path: Path) -> None:
    # given a feed whose block went away and came back within the grace period
    now = [0.0]
    writer = FeedWriter(tmp_path, grace=60, clock=lambda: now[0])
    writer.write(FEED, [b"A"])
    writer.write(FEED, [b"B"])
    writer.sweep()
    writer.write(FEED, [b"A"])
    now[0] = 20.0
    writer.sweep()

    # when the grace period has passed since
    now[0] = 81.0
    deleted = writer.sweep()

    # then only the part no manifest names was deleted
    assert deleted == [part_name(b"B")]
    assert FeedReader(tmp_path).read(FEED).body == b"A"  # type: ignore[union-attr]


def test_a_reader_whose_manifest_lost_its_parts_meanwhile_reads_the_new_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a published feed, and a publisher that replaces it (and deletes its parts) just
    # after a reader has read the old manifest
    writer = FeedWriter(tmp_path)
    writer.write(FEED, [b"one ", b"two"])
    read_bytes = Path.read_bytes

    def replaced_meanwhile(path: Path) -> bytes:
        if path.parent.name == PARTS and path.name == part_name(b"one "):
            monkeypatch.setattr(Path, "read_bytes", read_bytes)
            writer.write(FEED, [b"three"])
            for gone in (b"one ", b"two"):
                (tmp_path / PARTS / part_name(gone)).unlink()
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", replaced_meanwhile)

    # when the reader reads the feed
    version = FeedReader(tmp_path).read(FEED)

    # then it serves the new version, whole
    assert version is not None
    assert version.body == b"three"


def test_a_manifest_naming_a_missing_part_is_an_error_not_an_empty_feed(tmp_path: Path) -> None:
    # given a published feed one of whose parts was deleted
    FeedWriter(tmp_path).write(FEED, [b"one ", b"two"])
    (tmp_path / PARTS / part_name(b"two")).unlink()

    # when a reader reads it, then it says what is missing
    with pytest.raises(FeedFolderError, match="names parts missing"):
        FeedReader(tmp_path).read(FEED)


def test_a_restarted_publisher_removes_what_one_stopped_mid_write_left(tmp_path: Path) -> None:
    # given a folder where a publisher (another process) stopped while writing a part and a
    # manifest
    (tmp_path / PARTS).mkdir()
    leftovers = [tmp_path / PARTS / ".abc.999999.tmp", tmp_path / f".{FEED}.parts.999999.tmp"]
    for leftover in leftovers:
        leftover.write_bytes(b"half")

    # when a publisher starts on the folder and publishes
    FeedWriter(tmp_path).write(FEED, [b"whole"])

    # then the leftovers are gone, and the feed is there
    assert not [p for p in leftovers if p.exists()]
    assert FeedReader(tmp_path).read(FEED).body == b"whole"  # type: ignore[union-attr]


def test_the_first_manifest_of_a_feed_removes_the_whole_file_an_older_publisher_wrote(
    tmp_path: Path,
) -> None:
    # given a folder as publishers wrote it before feeds were kept in parts
    (tmp_path / FEED).write_bytes(b'{"stale": true}')

    # when the feed is published into it
    FeedWriter(tmp_path).write(FEED, [b'{"fresh": true}'])

    # then no stale copy is left beside the manifest
    assert not (tmp_path / FEED).exists()
    assert FeedReader(tmp_path).read(FEED).body == b'{"fresh": true}'  # type: ignore[union-attr]
