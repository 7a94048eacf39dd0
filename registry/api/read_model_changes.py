"""Read-your-writes without polling: a read waits for the read models' next change.

A read of one partner waits until its read-model row holds the store's
latest write. Asking the read model again every 5 ms cost a query per
waiting request per look: at 50 writes a second, a third of the API's CPU,
on the same two cores as the pipeline whose latency it waits on. One
thread listens to the notification the projection runner sends with every
batch it commits, and wakes every waiting request to ask once more.

A notification lost while the listening connection reconnects costs no
wake-up: a reconnect counts as a change (see ``ListenNotify.wait``).
Without notifications (SQLite) the thread ticks on a short timer instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from consumers.parts.wakeups import Wakeup

LISTEN_SLICE = 0.5
"""Seconds the listener waits at a time, so that it notices being stopped."""


class ReadModelChanges:
    """Counts the read models' changes; lets a request wait for the next one."""

    def __init__(self, wakeup: Callable[[], Wakeup]) -> None:
        self._new_wakeup = wakeup
        self._changed = threading.Condition()
        self._count = 0
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None

    def seen(self) -> int:
        """How many changes so far: take it before reading, wait for more after."""
        self._start_once()
        with self._changed:
            return self._count

    def wait_after(self, seen: int, timeout: float) -> bool:
        """Wait until there have been more than ``seen`` changes; False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self._count > seen, timeout)

    def stop(self) -> None:
        """Stop listening (waiting requests run out their time)."""
        self._stop.set()
        if self._listener is not None:
            self._listener.join()

    def _start_once(self) -> None:
        """Listen from the first read that asks, whoever built the API."""
        with self._changed:
            if self._listener is None and not self._stop.is_set():
                self._listener = threading.Thread(
                    target=self._listen, name="read-model-changes", daemon=True
                )
                self._listener.start()

    def _listen(self) -> None:
        wakeup = self._new_wakeup()
        try:
            while not self._stop.is_set():
                if wakeup.wait(LISTEN_SLICE):
                    with self._changed:
                        self._count += 1
                        self._changed.notify_all()
        finally:
            wakeup.close()
