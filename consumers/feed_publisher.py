"""The feed publisher: keeps the public feed files in step with the read models.

Whenever the read models change (NOTIFY on PostgreSQL, polling on SQLite),
it renders the feeds and replaces each file that differs, atomically: the
new bytes go to a temporary file in the same folder, which is then renamed
over the old one, so a reader sees the old file or the new, never half.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import structlog

from consumers.wakeups import Wakeup
from infra.feeds import DOCUMENTS, document
from projections import sql
from projections.feeds import render_atom, render_csv, render_json
from projections.store import ReadModelStore

log = structlog.get_logger(__name__)

RECENT_CHANGES = 50


class FeedPublisher:
    """Renders the feeds from the read models into a folder."""

    def __init__(
        self, store: ReadModelStore, directory: Path, base_url: str, wakeup: Wakeup
    ) -> None:
        self._store = store
        self._directory = directory
        self._base_url = base_url.rstrip("/")
        self._wakeup = wakeup

    def publish(self) -> list[str]:
        """Write every feed file whose content changed; return their names."""
        self._directory.mkdir(parents=True, exist_ok=True)
        written = [name for name, content in self.render().items() if self._write(name, content)]
        if written:
            log.info("feeds published", files=written, directory=str(self._directory))
        return written

    def render(self) -> dict[str, bytes]:
        """Every feed file's content, from the read models as they are now."""
        rows = self._store.partners("ORDER BY partner_id")
        head = self._store.chain_head()
        recent = self._store.entries(sql.verified_before_latest(), (RECENT_CHANGES,))[::-1]
        names = {row.partner_id: row.name for row in rows}
        rendered = {
            "current-partners.json": render_json(rows, head),
            "current-partners.csv": render_csv(rows),
            "changes.atom": render_atom(recent, names, self._base_url),
        }
        rendered.update((name, document(name)) for name in DOCUMENTS)
        return rendered

    def run(self, stop: threading.Event) -> None:
        """Publish now and after every change, until ``stop`` is set."""
        self.publish()
        while not stop.is_set():
            if self._wakeup.wait(0.5):
                self.publish()
        self._wakeup.close()

    def _write(self, name: str, content: bytes) -> bool:
        target = self._directory / name
        if target.exists() and target.read_bytes() == content:
            return False
        temporary = self._directory / f".{name}.{os.getpid()}.tmp"
        with temporary.open("wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(target)
        return True
