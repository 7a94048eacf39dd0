"""The API's feed files: served from memory only while the file on disk is the version held."""

from __future__ import annotations

import os
from pathlib import Path

from registry.api.feed_files import FeedFiles

NAME = "current-partners.json"


def test_a_feed_is_served_from_memory_only_until_the_publisher_replaces_its_file(
    tmp_path: Path,
) -> None:
    # given a published feed file, not yet read by the API
    path = tmp_path / NAME
    path.write_bytes(b'{"count": 1}')
    files = FeedFiles(tmp_path)
    unread = files.cached(NAME)

    # when it is read once, then replaced by a new version
    first = files.get(NAME)
    held = files.cached(NAME)
    path.write_bytes(b'{"count": 22}')
    os.utime(path, ns=(1, 1))
    after_replacement = files.cached(NAME)

    # then memory serves it only between the read and the replacement
    assert unread is None
    assert first is not None
    assert held is first
    assert after_replacement is None
    assert files.get(NAME).body == b'{"count": 22}'  # type: ignore[union-attr]


def test_an_unpublished_feed_is_neither_in_memory_nor_on_disk(tmp_path: Path) -> None:
    # given a feed folder holding nothing
    files = FeedFiles(tmp_path)

    # when a feed is asked for, then neither memory nor disk has it
    assert (files.cached(NAME), files.get(NAME)) == (None, None)
