"""The API's feeds: served from memory only while the manifest on disk is the version held."""

from __future__ import annotations

from pathlib import Path

from registry.adapters.feed_folder import FeedWriter
from registry.api.feed_files import FeedFiles

NAME = "current-partners.json"


def test_a_feed_is_served_from_memory_only_until_the_publisher_replaces_its_manifest(
    tmp_path: Path,
) -> None:
    # given a published feed, not yet read by the API
    publisher = FeedWriter(tmp_path)
    publisher.write(NAME, [b'{"count": 1}'])
    files = FeedFiles(tmp_path)
    unread = files.cached(NAME)

    # when it is read once, then a new version is published
    first = files.get(NAME)
    held = files.cached(NAME)
    publisher.write(NAME, [b'{"count": ', b"22}"])
    after_replacement = files.cached(NAME)
    second = files.get(NAME)

    # then memory serves it only between the read and the replacement, each with its own ETag
    assert unread is None
    assert first is not None
    assert held is first
    assert after_replacement is None
    assert second is not None
    assert second.body == b'{"count": 22}'
    assert second.etag != first.etag


def test_an_unpublished_feed_is_neither_in_memory_nor_on_disk(tmp_path: Path) -> None:
    # given a feed folder holding nothing
    files = FeedFiles(tmp_path)

    # when a feed is asked for, then neither memory nor disk has it
    assert (files.cached(NAME), files.get(NAME)) == (None, None)
