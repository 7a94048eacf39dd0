"""When the projection runner re-reads its partitions, replaces its consumer, or gives up.

A pure state machine (the clock is passed in), so each transition is tested
on its own. Two signals arrive from the runner:

- a **gap**: a partner's events do not follow on (the read models lack the
  version before). The consumer skipped records, as after a broker that lost
  its history came back with different offsets: re-read the partitions from
  the start. The same gap again at the same chain head means the records
  are not on the topic at all, or the log contradicts the register: stop
  re-reading at once (the runner says it is degraded and goes on serving
  what it verified; the stall watch below re-reads each period, by which
  time a relay may have republished the records).
- a **stall**: the chain head has not moved for ``stall_timeout`` seconds
  while work waits (entries wait for a missing sequence, or the partitions
  hold records not yet read). First re-read from the start; if the head
  still stands at the same place a whole period later, the consumer itself
  is stuck (kafka-python's group consumer was seen never to fetch again
  after the broker was replaced by an empty one) or its saved offsets
  belong to a topic the broker lost: replace it with a new group member
  that reads from the start, and go on watching, doing so again each
  period for as long as the head stands still.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

P = TypeVar("P")


class Action(StrEnum):
    """What the runner must do now."""

    NOTHING = "nothing"
    REREAD = "re-read from the start"
    RECONNECT = "replace the consumer"
    GIVE_UP = "give up"


@dataclass
class Recovery:
    """The runner's memory of stalls and re-reads; see the module docstring."""

    stall_timeout: float
    _reread_at: int | None = None
    _stalled: tuple[int, float] | None = None

    def gap(self, head: int) -> Action:
        """A partner's events did not follow on, with the chain at ``head``."""
        if self._reread_at == head:
            return Action.GIVE_UP
        self._reread_at = head
        return Action.REREAD

    def watch(self, head: int, *, work_waiting: bool, now: float) -> Action:
        """The chain head at ``now``, and whether anything waits to be applied."""
        if not work_waiting:
            self._stalled = None
            return Action.NOTHING
        if self._stalled is None or self._stalled[0] != head:
            self._stalled = (head, now)
            return Action.NOTHING
        if now - self._stalled[1] < self.stall_timeout:
            return Action.NOTHING
        self._stalled = None
        if self._reread_at == head:
            return Action.RECONNECT
        self._reread_at = head
        return Action.REREAD


def lost_partitions(
    positions: Mapping[P, int], listed: Mapping[P, int], ends: Mapping[P, int],
    *, after_broker_fault: bool,
) -> list[P]:  # fmt: skip
    """The partitions that now end before where the runner stands: the broker lost them.

    ``ends`` are the later of the listed end and the last fetch's high-water
    mark (Tansu lists a partition's end as its last batch's first offset
    plus one). But after a broker fault the high-water mark is the old
    broker's: a consumer that does not fetch again (kafka-python's group
    consumer sometimes never does after the broker was replaced by an empty
    one) keeps it for ever, and a topic lost with the broker looked read to
    the end. So after a broker fault the listed end alone decides.
    """
    decides = listed if after_broker_fault else ends
    return [p for p, position in positions.items() if position > decides[p]]
