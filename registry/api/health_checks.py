"""What "behind" means, measured: how far the read models and the feed trail the event store.

Both are measured against the event store, the source of truth, so an
event waiting in the relay (a broker outage) counts as much as one waiting
in the runner. "Lag" is a count of events (capped, to keep the query
cheap); "age" is how long the oldest event not yet applied has been
recorded, which is what a reader of a stale view actually suffers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import orjson
from eventsourcing.persistence import StoredEvent

from projections.storage.queries import ReadModelQueries
from registry.api.feed_files import FeedFile, FeedFiles
from registry.record.public_record import PARTNER_EVENT_TOPICS
from registry.service.application import PartnerRegistry

LAG_CAP = 1000


@dataclass(frozen=True)
class Behind:
    """How far one view trails the store."""

    events: int
    seconds: float


@dataclass(frozen=True)
class Views:
    """The read models' and the feed's distance from the store, and their heads."""

    chain_head: int
    newest_applied_age: float | None
    projection: Behind
    feed_head: int | None
    feed: Behind


class FeedHead:
    """The chain head the published feed was built from (parsed once per file version)."""

    def __init__(self, feeds: FeedFiles) -> None:
        self._feeds = feeds
        self._seen: tuple[str, int] | None = None

    def sequence(self) -> int | None:
        """The feed's chain head, or None when no feed has been published."""
        found = self._feeds.get("current-partners.json")
        if found is None:
            return None
        if self._seen is None or self._seen[0] != found.etag:
            self._seen = (found.etag, _chain_head(found))
        return self._seen[1]


HEAD_BYTES = 256
_HEAD = re.compile(rb'^\s*\{\s*"schema":\s*"[^"]*",\s*"chain_head":\s*\{\s*"sequence":\s*(\d+)')


def _chain_head(feed: FeedFile) -> int:
    """The feed's chain head, read from its opening lines where the publisher puts it.

    Parsing the whole feed once a second (a megabyte for 1,500 partners,
    tens for 100,000) held the API's interpreter lock for tens of
    milliseconds, every request waiting behind it. A feed laid out any
    other way is parsed whole.
    """
    opening = feed.parts[0][:HEAD_BYTES] if feed.parts else b""
    found = _HEAD.match(opening)
    if found is not None:
        return int(found[1])
    return int(orjson.loads(feed.body)["chain_head"]["sequence"])


def measure(
    registry: PartnerRegistry, read_models: ReadModelQueries, feed: FeedHead, now: float
) -> Views:
    """Measure both views against the store at ``now`` (seconds since the epoch)."""
    head = read_models.chain_head().sequence
    applied = read_models.entry_at(head)
    position = applied.position if applied else 0
    pending = registry.recorder.select_notifications(
        position, LAG_CAP, topics=PARTNER_EVENT_TOPICS, inclusive_of_start=False
    )
    oldest = _timestamp(registry, pending[0]) if pending else None
    projection = Behind(len(pending), _age(oldest, now))
    feed_head = feed.sequence()
    return Views(
        chain_head=head,
        newest_applied_age=_age(_recorded(applied.recorded_at), now) if applied else None,
        projection=projection,
        feed_head=feed_head,
        feed=_feed_behind(read_models, head, feed_head or 0, projection, now),
    )


def _feed_behind(
    read_models: ReadModelQueries, head: int, feed_head: int, projection: Behind, now: float
) -> Behind:
    """The feed trails the store by what the read models lack plus what it lacks of them."""
    if feed_head >= head:
        return projection
    first = read_models.entry_at(feed_head + 1)
    seconds = _age(_recorded(first.recorded_at), now) if first else 0.0
    return Behind(projection.events + head - feed_head, max(seconds, projection.seconds))


def _timestamp(registry: PartnerRegistry, stored: StoredEvent) -> datetime:
    """When the store recorded an event (the library keeps it inside the event)."""
    recorded: datetime = getattr(registry.mapper.to_domain_event(stored), "timestamp")  # noqa: B009
    return recorded


def _recorded(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _age(when: datetime | None, now: float) -> float:
    return 0.0 if when is None else max(now - when.timestamp(), 0.0)
