"""The API serves a feed as its folder holds it: whole, with its length, or a clear 503."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from registry.adapters.feed_folder import PARTS, FeedWriter, part_name
from registry.api.app import create_app
from registry.config import Settings
from tests.kafka_helpers import CLI

pytestmark = pytest.mark.postgres

FEED = "current-partners.json"
PIECES = [b'{"chain_head": {"sequence": 3}, ', b'"partners": [', b"{}" * 5000, b"]}"]


@pytest.fixture
def client(postgres_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(database_url=SecretStr(postgres_url), feed_dir=str(tmp_path))
    with TestClient(create_app(settings)) as served:
        yield served


def test_a_feed_is_sent_whole_with_its_length_and_head_says_the_same_without_it(
    client: TestClient, tmp_path: Path
) -> None:
    # given a feed published in parts
    FeedWriter(tmp_path).write(FEED, PIECES)

    # when it is asked for, and asked about (HEAD)
    got = client.get(f"/feeds/{FEED}")
    head = client.head(f"/feeds/{FEED}")

    # then the parts arrive joined, and both state the length and the same validators
    assert got.status_code == head.status_code == 200
    assert got.content == b"".join(PIECES)
    assert got.headers["content-length"] == head.headers["content-length"] == str(len(got.content))
    assert got.headers["etag"] == head.headers["etag"]
    assert head.content == b""


def test_a_feed_folder_whose_part_was_altered_answers_503_not_the_altered_bytes(
    client: TestClient, tmp_path: Path
) -> None:
    # given a published feed one of whose parts was overwritten on disk
    FeedWriter(tmp_path).write(FEED, PIECES)
    (tmp_path / PARTS / part_name(PIECES[2])).write_bytes(b"[]" * 5000)

    # when it is asked for
    got = client.get(f"/feeds/{FEED}")

    # then the API refuses to serve it, and says why
    assert got.status_code == 503
    assert got.headers["retry-after"] == "5"
    assert got.json()["type"].endswith("feed-unreadable")
    assert "does not hold the bytes it is named for" in got.json()["detail"]


def test_a_feed_not_yet_published_answers_503_with_a_retry(client: TestClient) -> None:
    got = client.get(f"/feeds/{FEED}")

    assert got.status_code == 503
    assert got.json()["type"].endswith("feed-not-published")


def show_feed(folder: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "FEED_DIR": str(folder)}
    return subprocess.run(
        [str(CLI), "show-feed", *args], env=env, capture_output=True, check=False, timeout=60
    )


def test_show_feed_writes_the_feed_the_api_serves_or_says_why_it_cannot(tmp_path: Path) -> None:
    # given a published feed, a feed never published, and a damaged copy of the folder
    published = tmp_path / "feeds"
    FeedWriter(published).write(FEED, PIECES)
    damaged = tmp_path / "damaged"
    FeedWriter(damaged).write(FEED, PIECES)
    (damaged / PARTS / part_name(PIECES[2])).write_bytes(b"[]" * 5000)

    # when an operator asks for each, and for a feed that does not exist
    shown = show_feed(published)
    to_file = show_feed(published, FEED, "--output", str(tmp_path / "copy.json"))
    unpublished = show_feed(published, "changes.atom")
    altered = show_feed(damaged)
    unknown = show_feed(published, "partners.xml")

    # then the bytes are the feed's, and every refusal has its exit code and its reason
    assert (shown.returncode, shown.stdout) == (0, b"".join(PIECES))
    assert to_file.returncode == 0
    assert (tmp_path / "copy.json").read_bytes() == b"".join(PIECES)
    assert unpublished.returncode == 3
    assert b"changes.atom has not been published" in unpublished.stderr
    assert altered.returncode == 6
    assert b"does not hold the bytes it is named for" in altered.stderr
    assert altered.stdout == b""
    assert unknown.returncode == 2
    assert b"no feed 'partners.xml'" in unknown.stderr
