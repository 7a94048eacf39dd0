"""The public record: the store's partner events, numbered and chained in store order.

The relay publishes it and the read models can be rebuilt from it; both must
number and chain the events identically, so this is the one place that does.
"""

from __future__ import annotations

from dataclasses import dataclass

from eventsourcing.utils import get_topic

from registry.domain.partner import Partner
from registry.record.chain import GENESIS, canonical_json, chain_hash_of_canonical
from registry.record.messages import PublishedEvent
from registry.service.application import PartnerRegistry
from registry.service.records import record_of

PARTNER_EVENT_TOPICS = [
    get_topic(cls)
    for cls in (
        Partner.Registered, Partner.DetailsAmended, Partner.Evaluated, Partner.Warned,
        Partner.WarningWithdrawn, Partner.WarningResolved,
        Partner.WarningDeadlineExtended, Partner.Suspended, Partner.Reinstated, Partner.Withdrawn,
        Partner.Terminated, Partner.ObjectionLodged, Partner.ObjectionDecided,
        Partner.Corrected,
    )
]  # fmt: skip


@dataclass(frozen=True)
class RecordPosition:
    """How far the public record has been read: store position, sequence, chain hash."""

    notification_id: int
    sequence: int
    chain_hash: str


START = RecordPosition(notification_id=0, sequence=0, chain_hash=GENESIS)


def read_after(
    registry: PartnerRegistry, position: RecordPosition, limit: int
) -> tuple[list[PublishedEvent], RecordPosition]:
    """Up to ``limit`` events after ``position``, and the position after them."""
    notifications = registry.recorder.select_notifications(
        position.notification_id, limit, topics=PARTNER_EVENT_TOPICS, inclusive_of_start=False
    )
    events = []
    sequence, chain = position.sequence, position.chain_hash
    for notification in notifications:
        event = registry.mapper.to_domain_event(notification)
        if not isinstance(event, Partner.Event):
            msg = f"position {notification.id} holds no partner event"
            raise TypeError(msg)
        record = record_of(event)
        canonical = canonical_json(record)
        sequence += 1
        chain = chain_hash_of_canonical(chain, canonical)
        events.append(PublishedEvent(record, notification.id, sequence, chain, canonical))
    if not notifications:
        return events, position
    return events, RecordPosition(notifications[-1].id, sequence, chain)
