"""The three places an auditor can read the public record from, in one comparable form.

The event store (the truth), the events topic (what services consume) and
the audit trail published over HTTP (what the public sees). Each yields
entries in sequence order, one per sequence, streaming.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from consumers.audit.reader import Located, Unreadable
from registry.record.chain import canonical_json
from registry.record.messages import PublishedEvent
from registry.record.signing import Checkpoint, KeyAnnouncement

PAGE = 1000


@dataclass(frozen=True)
class Entry:
    """One sequence of the record, as a source has it."""

    sequence: int
    position: int
    chain_hash: str
    body: bytes


def from_events(events: Iterator[PublishedEvent]) -> Iterator[Entry]:
    """Entries of numbered, chained events (the store's history)."""
    for event in events:
        yield Entry(event.sequence, event.position, event.chain_hash, canonical_json(event.record))


def from_topic(located: Iterator[Located], problems: list[str]) -> Iterator[Entry]:
    """Entries of the merged topic: re-sent copies dropped, unreadable and conflicting noted.

    A record at a sequence already read is a re-send if it is the same
    record (its digest is kept, 8 bytes per sequence), and a conflicting
    record if it is not.
    """
    last = 0
    digests: dict[int, bytes] = {}
    for item in located:
        if isinstance(item.item, Unreadable):
            problems.append(f"unreadable record at {item.where}: {item.item.reason}")
            continue
        entry = next(from_events(iter([item.item])))
        digest = hashlib.sha256(entry.body + entry.chain_hash.encode()).digest()[:8]
        if entry.sequence <= last:
            if digests.get(entry.sequence, digest) != digest:
                problems.append(
                    f"conflicting record at {item.where}: sequence {entry.sequence} differs "
                    "from the record already read"
                )
            continue
        last = entry.sequence
        digests[entry.sequence] = digest
        yield entry


def from_http(client: httpx.Client) -> Iterator[Entry]:
    """Entries of the audit trail the API publishes, page by page."""
    after = 0
    while True:
        page = _get(client, "/audit-trail", {"after": after, "limit": PAGE})
        for item in page["items"]:
            yield Entry(
                item["sequence"], item["position"], item["chain_hash"],
                canonical_json(item["event"]),
            )  # fmt: skip
        if page["next_after"] is None:
            return
        after = page["next_after"]


def http_checkpoints(client: httpx.Client) -> list[Checkpoint]:
    """The checkpoints the API publishes."""
    return [Checkpoint(**c) for c in _get(client, "/audit-trail/checkpoints", {})]


def http_announcements(client: httpx.Client) -> list[KeyAnnouncement]:
    """The key announcements the API publishes."""
    return [KeyAnnouncement(**a) for a in _get(client, "/audit-trail/key-announcements", {})]


def _get(client: httpx.Client, path: str, params: dict[str, Any]) -> Any:
    response = client.get(path, params=params)
    response.raise_for_status()
    return response.json()
