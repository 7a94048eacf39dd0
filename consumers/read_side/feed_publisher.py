"""The feed publisher: keeps the public feed files in step with the read models.

Whenever the read models change (NOTIFY on PostgreSQL, polling on SQLite),
it renders the feeds and publishes each one that differs into the feed
folder (``registry.adapters.feed_folder``): the parts it lacks, then its
manifest, replaced atomically, so a reader sees the old version or the new,
never half. A change writes the blocks it touched, not the whole feed.

A publish that fails (the read-model database lost, the disk full or the
folder not writable) leaves the old files in place and is tried again with
a growing delay until it succeeds, whether or not anything changes
meanwhile: the feed is never left behind after the fault ends.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import structlog

from consumers.parts.health import PartHealth
from consumers.parts.resilience import TRANSIENT, Backoff, describe
from consumers.parts.wakeups import Wakeup
from consumers.read_side.feed_blocks import FeedBlocks
from infra.feeds import DOCUMENTS, document
from projections.audit_trail import AuditEntry, ChainHead
from projections.current_partners import PartnerRow
from projections.feeds import (
    CURRENT,
    assemble_csv,
    assemble_json,
    csv_line,
    feed_order,
    json_fragment,
    render_atom,
)
from projections.storage.queries import ReadModelQueries
from registry.adapters.feed_folder import FeedWriter

log = structlog.get_logger(__name__)

RECENT_CHANGES = 50
ROWS_AT_A_TIME = 1000


@dataclass
class RenderedPartners:
    """Every live partner's JSON fragment and CSV line, rendered once per change.

    Only rows changed since the last store position seen are read and
    rendered again, and they are kept in feed order in blocks whose joined
    bytes are kept too (``feed_blocks``), so the Python work of a change is
    the same whatever the register's size: what grows with it is copying the
    feed's bytes. Of the rows themselves only each partner's place and name
    are kept. After the read models were rebuilt (another generation, or a
    chain head that went back), everything is read again; on a new day,
    everything is rendered again (what is overdue changed with the clock).
    """

    places: dict[str, tuple[str, str]] = field(default_factory=dict)
    partner_names: dict[str, str] = field(default_factory=dict)
    live: FeedBlocks = field(default_factory=FeedBlocks)
    updated_at: str | None = None
    position: int = 0
    generation: int = -1
    head: int = 0
    day: date = date.min

    def catch_up(self, store: ReadModelQueries, head: int, day: date) -> None:
        """Take in the rows changed since last time (all of them after a rebuild or a new day)."""
        generation = store.generation()
        if generation != self.generation or head < self.head or day != self.day:
            self.places, self.partner_names, self.live = {}, {}, FeedBlocks()
            self.updated_at, self.position, self.generation = None, 0, generation
        self.head, self.day = head, day
        while True:
            rows = store.partners_after(self.position, ROWS_AT_A_TIME)
            for row in rows:
                self._take(row, day)
                self.position = max(self.position, row.position)
            if len(rows) < ROWS_AT_A_TIME:
                return

    def _take(self, row: PartnerRow, day: date) -> None:
        earlier = self.places.pop(row.partner_id, None)
        place = feed_order(row) if row.status in CURRENT else None
        if earlier is not None and earlier != place:
            self.live.discard(earlier)
        self.partner_names[row.partner_id] = row.name
        if place is not None:
            self.places[row.partner_id] = place
            self.live.put(place, json_fragment(row, day), csv_line(row, day))
        self.updated_at = max(self.updated_at or "", row.updated_at)

    def json(self, head: ChainHead, log_root: bytes | None) -> list[bytes]:
        """The current-partners JSON feed, in pieces (its blocks as kept)."""
        return assemble_json(self.live.json_parts(), len(self.live), head, self.updated_at,
                             self.day, log_root)  # fmt: skip

    def csv(self) -> list[bytes]:
        """The current-partners CSV feed, in pieces."""
        return assemble_csv(self.live.csv_parts())

    def names(self, partner_ids: Iterable[str]) -> dict[str, str]:
        """The names of these partners (those of the Atom feed's entries)."""
        return {p: self.partner_names[p] for p in partner_ids if p in self.partner_names}


@dataclass
class RecentChanges:
    """The latest verified entries, for the Atom feed: each read once, as it joins the trail.

    After the read models were rebuilt (another generation, or a chain head
    that went back) they are all read again.
    """

    entries: deque[AuditEntry] = field(default_factory=lambda: deque(maxlen=RECENT_CHANGES))
    generation: int = -1
    head: int = 0

    def catch_up(self, store: ReadModelQueries, head: int) -> None:
        """Take in the entries verified since last time (the latest ones, if many)."""
        generation = store.generation()
        if generation != self.generation or head < self.head:
            self.entries.clear()
            self.generation = generation
        self.head = head
        after = self.entries[-1].sequence if self.entries else 0
        joined = store.verified_entries(after, RECENT_CHANGES)
        if len(joined) == RECENT_CHANGES:
            joined = store.recent_verified(RECENT_CHANGES)
        self.entries.extend(joined)


class FeedPublisher:
    """Renders the feeds from the read models into a folder."""

    def __init__(
        self, store: ReadModelQueries, directory: Path, base_url: str, wakeup: Wakeup,
        today: Callable[[], date], health: PartHealth | None = None,
    ) -> None:  # fmt: skip
        self._store = store
        self._today = today
        self._directory = directory
        self._base_url = base_url.rstrip("/")
        self._wakeup = wakeup
        self._health = health
        self._backoff = Backoff()
        self._partners = RenderedPartners()
        self._recent = RecentChanges()
        self._folder = FeedWriter(directory)

    def publish(self) -> list[str]:
        """Publish every feed whose content changed; return their names.

        Each feed is written as soon as it is rendered, the JSON feed first:
        rendering the CSV and the Atom feed (a fifth of a publish) no longer
        delays the feed most readers poll. Parts no feed names any more are
        deleted once readers can no longer need them.
        """
        written = [name for name, pieces in self._rendered() if self._folder.write(name, pieces)]
        if written:
            log.info("feeds published", files=written, directory=str(self._directory))
        self._folder.sweep()
        return written

    def render(self) -> dict[str, bytes]:
        """Every feed file's content, from the read models as they are now."""
        return {name: b"".join(pieces) for name, pieces in self._rendered()}

    def _rendered(self) -> Iterator[tuple[str, list[bytes]]]:
        with self._store.snapshot() as models:
            head, log_root = models.head_with_root()
            self._partners.catch_up(models, head.sequence, self._today())
            self._recent.catch_up(models, head.sequence)
        yield "current-partners.json", self._partners.json(head, log_root)
        yield "current-partners.csv", self._partners.csv()
        recent = list(self._recent.entries)
        names = self._partners.names(e.partner_id for e in recent)
        yield "changes.atom", [render_atom(recent, names, self._base_url)]
        for name in DOCUMENTS:
            yield name, [document(name)]

    def run(self, stop: threading.Event) -> None:
        """Publish now, after every change and when the day changes, until ``stop`` is set."""
        pending = True
        while not stop.is_set():
            if pending:
                pending = not self._publish_or_wait(stop)
            elif self._wakeup.wait(0.5) or self._today() != self._partners.day:
                pending = True
            else:
                self._beat("running")
        self._wakeup.close()

    def _publish_or_wait(self, stop: threading.Event) -> bool:
        """Publish; on a transient fault log it, wait, and return False (still pending)."""
        try:
            self.publish()
        except TRANSIENT as error:
            delay = self._backoff.next_delay()
            log.warning(
                "feeds not published; will retry", error=describe(error),
                attempt=self._backoff.failures, retry_in_seconds=round(delay, 2),
            )  # fmt: skip
            self._beat("waiting", describe(error))
            stop.wait(delay)
            return False
        self._backoff.reset()
        self._beat("running")
        return True

    def _beat(self, state: str, detail: str = "") -> None:
        if self._health is not None:
            self._health.beat(state, detail)
