"""Each long-running part says, every few seconds, that it is alive and what it is doing.

The beats go to a table beside the read models, so the HTTP servers (on
other machines, in production) can tell whether the relay, the projection
runners and the feed publisher are working, waiting out a fault, or gone
silent, and say so in ``/readyz``. Every start of a part is counted, which
gives the restart metric wherever the part runs (under ``up``, Compose or
Kubernetes). A beat that cannot be written is dropped: its absence is the
signal.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from registry.adapters.sqldb import Database

log = structlog.get_logger(__name__)

RUNNING = "running"
DEGRADED = "degraded"
"""Working, and serving what it verified, after refusing records that failed verification."""
_FORGET_AFTER_SECONDS = 3600.0
_CREATE = [
    """CREATE TABLE IF NOT EXISTS part_health (
        part TEXT NOT NULL, instance TEXT NOT NULL, state TEXT NOT NULL, detail TEXT NOT NULL,
        started_at DOUBLE PRECISION NOT NULL, beat_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (part, instance))""",
    """CREATE TABLE IF NOT EXISTS part_starts (
        part TEXT PRIMARY KEY, starts BIGINT NOT NULL)""",
]


@dataclass(frozen=True)
class PartState:
    """The last beat of one instance of a part, and how often the part was started."""

    part: str
    instance: str
    state: str
    detail: str
    beat_at: float
    starts: int


class PartHealth:
    """The beats of one part's instance (this process)."""

    def __init__(
        self, db: Database, part: str, every: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        self._db = db
        self._part = part
        self._instance = f"{socket.gethostname()}:{os.getpid()}"
        self._every = every
        self._clock = clock
        self._started_at = clock()
        self._last: tuple[str, str, float] | None = None

    def started(self) -> None:
        """Count this start and say the part is starting."""
        setup(self._db)
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT INTO part_starts (part, starts) VALUES (?, 1) "
                "ON CONFLICT (part) DO UPDATE SET starts = part_starts.starts + 1",
                (self._part,),
            )
        self.beat("starting")

    def beat(self, state: str = RUNNING, detail: str = "") -> None:
        """Say what the part is doing: at once when that changed, else every few seconds."""
        now = self._clock()
        last = self._last
        if last is not None and last[:2] == (state, detail) and now - last[2] < self._every:
            return
        try:
            self._write(state, detail, now)
        except Exception as error:
            log.debug("health beat not written", part=self._part, error=str(error))
            return
        self._last = (state, detail, now)

    def close(self) -> None:
        """Release the connection."""
        self._db.close()

    def _write(self, state: str, detail: str, now: float) -> None:
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT INTO part_health (part, instance, state, detail, started_at, beat_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (part, instance) DO UPDATE SET "
                "state = excluded.state, detail = excluded.detail, beat_at = excluded.beat_at",
                (self._part, self._instance, state, detail[:500], self._started_at, now),
            )
            tx.execute(
                "DELETE FROM part_health WHERE part = ? AND beat_at < ?",
                (self._part, now - _FORGET_AFTER_SECONDS),
            )


def setup(db: Database) -> None:
    """Create the tables if missing."""
    with db.transaction() as tx:
        if db.has_table(tx, "part_starts"):
            return
    with db.transaction() as tx:
        db.serialise(tx, "partner-registry:part-health")
        for statement in _CREATE:
            tx.execute(statement)


def instances(db: Database) -> dict[str, list[PartState]]:
    """Every instance's last beat, by part, newest first; empty until a part has run."""
    with db.transaction() as tx:
        if not db.has_table(tx, "part_starts"):
            return {}
        rows = tx.execute(
            "SELECT h.part, h.instance, h.state, h.detail, h.beat_at, s.starts "
            "FROM part_health h JOIN part_starts s ON s.part = h.part ORDER BY h.beat_at DESC"
        )
    found: dict[str, list[PartState]] = {}
    for part, instance, state, detail, beat, starts in rows:
        found.setdefault(str(part), []).append(
            PartState(str(part), str(instance), str(state), str(detail), float(beat), int(starts))
        )
    return found
