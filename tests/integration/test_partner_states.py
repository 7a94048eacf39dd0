"""The relay's partner states: only the partners met most recently are kept in memory,
and one forgotten is folded again from the store, to the same row."""

from __future__ import annotations

from consumers.relay.partner_states import PartnerStates
from projections.current_partners import PartnerRow
from registry.record.public_record import START, read_after
from registry.service.application import PartnerRegistry
from tests.histories import scripted_history


def states_after_each_event(states: PartnerStates, registry: PartnerRegistry) -> list[PartnerRow]:
    events, _ = read_after(registry, START, 10_000)
    return [states.advance(e.record, e.position) for e in events]


def test_a_relay_keeping_one_partner_publishes_the_states_of_one_keeping_all(
    registry: PartnerRegistry,
) -> None:
    # Given partners whose events are interleaved in the store
    scripted_history(registry, partners=4)

    # When one relay keeps a single partner's state in memory and another keeps all
    forgetful = states_after_each_event(PartnerStates(registry, kept=1), registry)
    keeping = states_after_each_event(PartnerStates(registry, kept=100), registry)

    # Then every state published is the same, a forgotten partner folded again from the store
    assert [r.to_json() for r in forgetful] == [r.to_json() for r in keeping]
    assert len({r.partner_id for r in keeping}) == 5
