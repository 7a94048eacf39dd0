"""The parts of kafka-python's consumer the read side uses, as typed protocols.

kafka-python ships no type information, so without these every record and
partition would be ``Any`` and ``mypy --strict`` would check nothing a
consumer reads. The library's objects satisfy them structurally.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol


class Partition(Protocol):
    """A topic's partition (kafka-python's ``TopicPartition``)."""

    @property
    def topic(self) -> str:
        """The topic's name."""

    @property
    def partition(self) -> int:
        """The partition's number."""


class ConsumedRecord(Protocol):
    """A record read from a partition (kafka-python's ``ConsumerRecord``)."""

    @property
    def topic(self) -> str:
        """The topic read."""

    @property
    def partition(self) -> int:
        """The partition read."""

    @property
    def offset(self) -> int:
        """The record's offset in its partition."""

    @property
    def key(self) -> bytes | None:
        """The record's key, as sent."""

    @property
    def value(self) -> bytes | None:
        """The record's value, as sent."""

    @property
    def headers(self) -> Sequence[tuple[str, bytes | None]]:
        """The record's headers, as sent."""


Polled = Mapping[Partition, Sequence[ConsumedRecord]]


class RebalanceListener(Protocol):
    """Told when the group gives this consumer partitions or takes them away."""

    def on_partitions_revoked(self, revoked: set[Partition]) -> None:
        """Partitions taken away."""

    def on_partitions_assigned(self, assigned: set[Partition]) -> None:
        """Partitions given."""


class GroupConsumer(Protocol):
    """A consumer in a group (kafka-python's ``KafkaConsumer``)."""

    def subscribe(self, topics: list[str], listener: RebalanceListener) -> None:
        """Join the group for these topics."""

    def poll(self, timeout_ms: int, max_records: int) -> Polled:
        """Records that arrived, by partition."""

    def assignment(self) -> set[Partition]:
        """The partitions this consumer holds now."""

    def seek(self, partition: Partition, offset: int) -> None:
        """Read the partition from this offset next."""

    def seek_to_beginning(self, *partitions: Partition) -> None:
        """Read these partitions from their first record next."""

    def position(self, partition: Partition) -> int:
        """The offset of the next record to read."""

    def end_offsets(self, partitions: list[Partition]) -> dict[Partition, int]:
        """Each partition's offset after its last record."""

    def highwater(self, partition: Partition) -> int | None:
        """The partition's end as the last fetch response gave it (None before any)."""

    def commit_async(self) -> None:
        """Commit the positions, without waiting."""

    def close(self, autocommit: bool = True) -> None:
        """Leave the group."""
