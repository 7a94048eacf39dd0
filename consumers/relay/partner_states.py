"""The current state of each partner the relay publishes, for the compacted topic.

Rows are folded from the events the relay reads, with the same pure
projection as the read model. A relay that restarts mid-history rebuilds a
partner's row from the store the first time it meets that partner, and so
does one that has not met the partner for long: only the partners met most
recently are kept (the relay's memory grew with the register, about 3 KiB
a partner, measured in ``docs/benchmarks.md``).
"""

from __future__ import annotations

from uuid import UUID

from cachetools import LRUCache

from projections.current_partners import PartnerRow, apply
from registry.service.application import PartnerRegistry
from registry.service.records import PublicRecord

KEPT_PARTNERS = 10_000


class PartnerStates:
    """Partner rows by partner id, kept up to date event by event."""

    def __init__(self, registry: PartnerRegistry, kept: int = KEPT_PARTNERS) -> None:
        self._registry = registry
        self._rows: LRUCache[str, PartnerRow] = LRUCache(maxsize=kept)

    def advance(self, record: PublicRecord, position: int) -> PartnerRow:
        """The partner's row after this event."""
        partner_id = record["partner_id"]
        row = self._rows.get(partner_id)
        if row is None and record["version"] > 1:
            row = self._replayed(partner_id, record["version"] - 1)
        row = apply(row, record, position)
        self._rows[partner_id] = row
        return row

    def clear(self) -> None:
        """Forget every row (before republishing from the start)."""
        self._rows.clear()

    def _replayed(self, partner_id: str, up_to_version: int) -> PartnerRow | None:
        row = None
        for event in self._registry.history(UUID(partner_id))[:up_to_version]:
            row = apply(row, event, position=0)
        return row
