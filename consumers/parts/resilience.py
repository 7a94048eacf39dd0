"""Which faults a long-running part waits out, and how long it waits between tries.

A lost database connection, an unreachable or restarted broker and a full or
unwritable disk all end by themselves (or by an operator's hand), so a part
that meets one logs it, backs off and tries again, and resumes where its
saved state says, never exiting. What a restart cannot cure (bad settings, a
broken signing key, an altered public record) is not in this list: it ends
the process with a message and a documented exit status.

Retry libraries wrap one call and give up or keep a growing delay forever;
these loops live for weeks and must start again from a short delay after
each success, so the delay is a small object the loop resets.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import structlog
from kafka.errors import KafkaError

from consumers.messaging.broker import BrokerUnavailableError
from projections.storage.queries import ChainRowMissingError
from registry.adapters.sqldb import DATABASE_UNAVAILABLE

log = structlog.get_logger(__name__)
T = TypeVar("T")

# OSError covers the disk (no space, permission refused) and sockets.
TRANSIENT: tuple[type[BaseException], ...] = (
    *DATABASE_UNAVAILABLE,
    KafkaError,
    BrokerUnavailableError,
    OSError,
    ChainRowMissingError,
)


def is_transient(error: BaseException) -> bool:
    """Whether waiting and trying again can cure this fault."""
    return isinstance(error, TRANSIENT)


def describe(error: BaseException) -> str:
    """A one-line account of a fault for the log (never a traceback)."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


@dataclass
class Backoff:
    """A delay that doubles up to ``ceiling`` while faults repeat, with jitter.

    The jitter ("equal jitter": half the delay fixed, half random) keeps
    parts that lost the same database from all knocking at the same moment.
    """

    initial: float = 0.5
    ceiling: float = 30.0
    rng: Callable[[], float] = field(default=random.random)
    _delay: float = 0.0
    failures: int = 0

    def next_delay(self) -> float:
        """The wait before the next try, growing with each call until reset."""
        self._delay = min(self.ceiling, self._delay * 2 if self._delay else self.initial)
        self.failures += 1
        return self._delay / 2 + self.rng() * self._delay / 2

    def reset(self) -> None:
        """A try succeeded: the next fault starts from the initial delay."""
        self._delay = 0.0
        self.failures = 0

    def wait(self, stop: threading.Event) -> float:
        """Sleep the next delay (returning early when ``stop`` is set); the delay slept."""
        delay = self.next_delay()
        stop.wait(delay)
        return delay


def keep_trying(stop: threading.Event, action: Callable[[], T], what: str) -> T | None:
    """``action``'s result, waiting out transient faults; None if stopped first.

    For a part's start-up: a database or broker that is not there yet is
    waited for, as it would be later, instead of ending the process.
    """
    backoff = Backoff()
    while not stop.is_set():
        try:
            return action()
        except TRANSIENT as error:
            delay = backoff.next_delay()
            log.warning(
                f"{what}: waiting out a fault", error=describe(error),
                attempt=backoff.failures, retry_in_seconds=round(delay, 2),
            )  # fmt: skip
            stop.wait(delay)
    return None
