"""Where the relay has got to in the store, and which relay may publish.

The position (last store position sent, its sequence number in the public
record, and the chain hash up to it) is advanced only after Kafka has
acknowledged, so a crash re-sends rather than skips. Advancing is a
compare-and-set on the previous position: a relay that lost its lead
without noticing cannot move the position, and learns that it lost.
One module per database implements this; the relay sees only this class.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from registry.record.public_record import START, RecordPosition

__all__ = ["START", "LeadershipLostError", "RecordPosition", "RelayPositions"]


class LeadershipLostError(RuntimeError):
    """Another relay holds the lead, or the connection that held it is gone."""


class RelayPositions(ABC):
    """The relay's position and lead, kept in the event store's database."""

    @abstractmethod
    def try_lead(self) -> bool:
        """Take the lead if no other relay holds it; True while this one holds it."""

    @abstractmethod
    def load(self) -> RecordPosition:
        """The position to continue from."""

    @abstractmethod
    def advance(self, expected: RecordPosition, new: RecordPosition) -> None:
        """Move from ``expected`` to ``new``, or raise LeadershipLostError."""

    @abstractmethod
    def close(self) -> None:
        """Give up the lead and release the connection."""
