"""Readiness reads the feed's chain head from its opening lines, not by parsing the feed."""

from __future__ import annotations

from datetime import date

import orjson

from projections.audit_trail import ChainHead
from projections.feeds import assemble_json
from registry.adapters.feed_folder import FeedVersion
from registry.api.feed_files import FeedFile
from registry.api.health_checks import HEAD_BYTES, _chain_head

HEAD = ChainHead(sequence=4_321, chain_hash="ab" * 32)


def served(*parts: bytes) -> FeedFile:
    version = FeedVersion(parts, "etag", 0.0, (1, 1))
    return FeedFile(version, '"etag"', "Thu, 03 Dec 2026 12:00:00 GMT", "application/json")


def test_the_head_is_read_from_the_opening_of_the_feed_the_publisher_writes() -> None:
    # given a published feed whose first part is cut off past its opening lines, the rest
    # not JSON at all
    pieces = assemble_json([b'{"name": "x"}'] * 50, 50, HEAD, None, date(2026, 12, 3), None)
    feed = served(pieces[0][: HEAD_BYTES + 10], b"not json")

    # when readiness reads its head
    head = _chain_head(feed)

    # then it is the head the feed was built from, found without the rest of the document
    assert head == 4_321 == orjson.loads(b"".join(pieces))["chain_head"]["sequence"]


def test_a_feed_laid_out_otherwise_is_parsed_whole() -> None:
    document = orjson.dumps({"partners": [], "chain_head": {"sequence": 7, "chain_hash": ""}})

    assert _chain_head(served(document[:20], document[20:])) == 7
