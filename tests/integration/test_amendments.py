"""Amended names and numbers keep the one-live-partnership rule: claims move with them."""

from __future__ import annotations

from uuid import UUID

import pytest

from registry.domain.commands import AmendDetails, RegisterPartner
from registry.domain.exceptions import DuplicatePartnerError
from registry.service.application import PartnerRegistry
from tests.builders import decision, platform, unique_name

pytestmark = pytest.mark.postgres


def _register(registry: PartnerRegistry, **overrides: object) -> str:
    return str(registry.register(RegisterPartner(platform(**overrides), decision())).partner_id)


def _amend(registry: PartnerRegistry, partner_id: str, **changes: str | None) -> None:
    registry.amend_details(AmendDetails(UUID(partner_id), changes, decision(reason="Renamed")))


def test_a_new_name_is_found_and_the_old_one_is_free_for_another_platform(
    registry: PartnerRegistry,
) -> None:
    old, new = unique_name("Old"), unique_name("New")
    partner_id = _register(registry, name=old, registration_number=unique_name("NIB"))

    _amend(registry, partner_id, name=new)
    other = _register(registry, name=old)

    found_new, found_old = registry.find_by_name(new), registry.find_by_name(old)
    assert found_new is not None
    assert str(found_new.id) == partner_id
    assert found_old is not None
    assert str(found_old.id) == other


def test_taking_a_name_or_number_a_live_partner_holds_is_refused_and_records_nothing(
    registry: PartnerRegistry,
) -> None:
    taken_name, taken_number = unique_name("Taken"), unique_name("NIB")
    _register(registry, name=taken_name, registration_number=taken_number)
    partner_id = _register(registry)
    before = registry.recorder.max_notification_id()

    with pytest.raises(DuplicatePartnerError, match="already a partner"):
        _amend(registry, partner_id, name=taken_name)
    with pytest.raises(DuplicatePartnerError, match="same registration number"):
        _amend(registry, partner_id, registration_number=taken_number)

    assert registry.recorder.max_notification_id() == before


def test_a_change_of_case_keeps_the_claim_it_already_holds(registry: PartnerRegistry) -> None:
    name = unique_name("mixed case")
    partner_id = _register(registry, name=name)

    _amend(registry, partner_id, name=name.upper())

    found = registry.find_by_name(name)
    assert found is not None
    assert (str(found.id), found.name) == (partner_id, name.upper())
