"""How the relay learns that new events may be in the store, without busy-polling.

On PostgreSQL the store sends NOTIFY on the events table's channel with
every insert, so the relay sleeps on LISTEN and wakes at once. A NOTIFY can
be lost (the listening connection drops, or it is reconnecting), so the
relay also looks on a slow safety timer; see ``Relay``. SQLite has no
notifications: the relay polls, quickly while events flow and backing off
to a short cap when idle, so a new event is seen well within a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import psycopg
import structlog
from psycopg import sql

log = structlog.get_logger(__name__)


class Wakeup(Protocol):
    """Waits until new events may have been recorded."""

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds; True when the store should be read."""

    def activity(self) -> None:
        """Events were just found: expect more soon."""

    def close(self) -> None:
        """Release any connection."""


class ListenNotify:
    """Wakes on PostgreSQL NOTIFY from the event store's channel."""

    def __init__(self, url: str, channel: str) -> None:
        self._url = url
        self._channel = channel
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None

    def wait(self, timeout: float) -> bool:
        """True as soon as a notification arrives, or after reconnecting."""
        try:
            if self._conn is None or self._conn.closed:
                self._listen()
                return True
            return any(True for _ in self._conn.notifies(timeout=timeout, stop_after=1))
        except psycopg.OperationalError as error:
            log.warning("listen connection lost; relying on the safety poll", error=str(error))
            self.close()
            time.sleep(min(timeout, 1.0))
            return True

    def activity(self) -> None:
        """Nothing to adjust: notifications say when to look."""

    def close(self) -> None:
        """Stop listening."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _listen(self) -> None:
        self._conn = psycopg.connect(self._url, autocommit=True, connect_timeout=5)
        self._conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))


class PollingBackoff:
    """Polls the store, quickly after activity, backing off to ``ceiling`` when idle."""

    def __init__(
        self,
        floor: float = 0.02,
        ceiling: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._floor = floor
        self._ceiling = ceiling
        self._delay = floor
        self._waited = 0.0
        self._sleep = sleep

    def wait(self, timeout: float) -> bool:
        """Sleep towards the current delay; True once it has passed (time to poll).

        A caller waiting in slices shorter than the delay still gets True
        once the slices add up to it.
        """
        nap = min(self._delay - self._waited, timeout)
        self._sleep(nap)
        self._waited += nap
        if self._waited < self._delay - 1e-9:
            return False
        self._waited = 0.0
        self._delay = min(self._delay * 2, self._ceiling)
        return True

    def activity(self) -> None:
        """Poll quickly again."""
        self._delay = self._floor
        self._waited = 0.0

    def close(self) -> None:
        """Nothing to release."""
