"""The seed: the register of 27 April 2020, recorded once, inventing nothing."""

from __future__ import annotations

from datetime import date

import pytest

from registry.domain.partner import Status
from registry.service.application import PartnerRegistry
from registry.service.seed import SEED_ACTOR, seed
from tests.builders import REPORTED

pytestmark = pytest.mark.postgres


def test_seed_records_the_eight_reported_platforms_as_they_stood(
    registry: PartnerRegistry,
) -> None:
    report = seed(registry)

    partners = registry.list_partners()
    assert report.registered == REPORTED
    assert [p.name for p in partners] == REPORTED
    assert {p.status for p in partners} == {Status.ACTIVE}
    assert {p.registered_on for p in partners} == {date(2020, 4, 27)}
    assert all(p.latest_evaluation is None and not p.open_warnings for p in partners)
    assert all(p.platform["registration_number"] is None for p in partners)


def test_seed_records_the_ministry_site_as_an_exemption_and_nothing_else_as_one(
    registry: PartnerRegistry,
) -> None:
    seed(registry)

    exempt = [p for p in registry.list_partners() if p.platform["exemption_basis"] is not None]

    assert [(p.name, p.platform["legal_form"]) for p in exempt] == [
        ("Kemnaker.go.id", "government_body")
    ]
    assert "Ministry of Manpower" in (exempt[0].platform["exemption_basis"] or "")


def test_seed_events_are_attributed_to_the_named_system_actor(
    registry: PartnerRegistry,
) -> None:
    seed(registry)

    histories = [registry.history(p.id) for p in registry.list_partners()]

    assert all([e["type"] for e in h] == ["Registered"] for h in histories)
    assert {h[0]["actor"] for h in histories} == {SEED_ACTOR}
    assert all("27 April 2020" in h[0]["reason"] for h in histories)


def test_running_the_seed_twice_adds_nothing(registry: PartnerRegistry) -> None:
    seed(registry)
    position = registry.recorder.max_notification_id()

    again = seed(registry)

    assert again.registered == []
    assert again.already_present == REPORTED
    assert registry.recorder.max_notification_id() == position
