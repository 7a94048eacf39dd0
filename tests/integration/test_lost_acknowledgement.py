"""A write whose commit landed but whose acknowledgement was lost is answered as done.

The event-store library retries an insert when the connection breaks. If the
commit had already reached the server, the retry collides with its own
events; the officer must then hear "recorded", not "duplicate platform".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from eventsourcing.persistence import OperationalError, StoredEvent
from eventsourcing.utils import retry

from registry.domain.commands import RegisterPartner, WarnPartner
from registry.domain.criteria import Criterion
from registry.domain.exceptions import DuplicatePartnerError
from registry.service.application import PartnerRegistry
from tests.builders import NEXT_MONTH, decision, platform


def lose_the_next_acknowledgement(registry: PartnerRegistry) -> list[int]:
    """The next insert commits, then its connection 'breaks' and the library retries."""
    insert = registry.recorder.insert_events
    lost: list[int] = []

    def commit_then_lose_the_answer(events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        answer = insert(events, **kwargs)
        if not lost:
            lost.append(len(events))
            raise OperationalError("server closed the connection unexpectedly")
        return answer

    retrying = retry(OperationalError, max_attempts=3, wait=0.01)(commit_then_lose_the_answer)
    registry.recorder.insert_events = retrying  # type: ignore[method-assign]
    return lost


def test_a_registration_whose_answer_was_lost_is_answered_as_recorded(
    registry: PartnerRegistry,
) -> None:
    # Given the store will commit the next write and then lose the answer
    lost = lose_the_next_acknowledgement(registry)

    # When an officer registers a platform
    recorded = registry.register(RegisterPartner(platform(name="Lost Ack"), decision()))

    # Then the registration is answered as recorded, once, at its true position
    assert lost, "the fault was not injected"
    history = registry.history(recorded.partner_id)
    assert [e["type"] for e in history] == ["Registered"]
    assert recorded.version == 1
    assert recorded.event == history[0]
    stored = registry.recorder.select_notifications(None, 10)
    assert recorded.position == next(n.id for n in stored if n.originator_id == recorded.partner_id)


def test_a_warning_whose_answer_was_lost_is_answered_as_recorded(
    registry: PartnerRegistry,
) -> None:
    # Given a partner, and a store that will lose the answer to the next write
    partner_id = registry.register(RegisterPartner(platform(), decision())).partner_id
    lost = lose_the_next_acknowledgement(registry)

    # When an officer warns the partner
    command = WarnPartner(partner_id, decision(), NEXT_MONTH, criterion=Criterion.TECHNOLOGY)
    recorded = registry.warn(command)

    # Then the warning is recorded once and answered as such
    assert lost
    assert [e["type"] for e in registry.history(partner_id)] == ["Registered", "Warned"]
    assert recorded.version == 2


def test_a_genuine_duplicate_is_not_mistaken_for_a_landed_write(
    registry: PartnerRegistry,
) -> None:
    # Given a platform already registered
    registry.register(RegisterPartner(platform(name="Taken"), decision()))
    lose_the_next_acknowledgement(registry)

    # When another registration of the same name is refused by the store
    # Then it is a duplicate, not mistaken for a write of its own that landed
    with pytest.raises(DuplicatePartnerError, match="Taken"):
        registry.register(RegisterPartner(platform(name="Taken"), decision()))
