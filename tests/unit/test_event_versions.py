"""Event schemas are versioned, so history can be read after the code changes."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from registry.application import PartnerRegistry
from registry.claims import PlatformClaim
from registry.criteria import Criterion
from registry.domain import Partner
from tests.builders import NEXT_MONTH, TODAY, decision, findings, obligation, registered

EVENT_CLASSES = [
    Partner.Registered,
    Partner.Evaluated,
    Partner.Warned,
    Partner.Terminated,
    PlatformClaim.Claimed,
    PlatformClaim.Transferred,
]


@pytest.mark.parametrize("event_class", EVENT_CLASSES, ids=lambda c: c.__qualname__)
def test_every_event_class_declares_its_schema_version(event_class: type) -> None:
    assert isinstance(getattr(event_class, "class_version", None), int)


def a_full_history() -> list[Any]:
    partner = registered()
    partner.evaluate(findings(), [obligation()], decision(), today=TODAY)
    partner.warn(decision(), deadline=NEXT_MONTH, today=TODAY, criterion=Criterion.TECHNOLOGY)
    partner.terminate(decision(), today=TODAY)
    return list(partner.collect_events())


def in_memory_registry() -> PartnerRegistry:
    return PartnerRegistry(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"}
    )


def test_every_event_survives_the_round_trip_through_the_store_format() -> None:
    mapper = in_memory_registry().mapper
    events = a_full_history()

    restored = [mapper.to_domain_event(mapper.to_stored_event(e)) for e in events]

    assert [vars(e) for e in restored] == [vars(e) for e in events]
    assert isinstance(vars(restored[2])["deadline"], date)


def test_an_event_stored_at_an_older_version_is_upcast_when_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mapper = in_memory_registry().mapper
    stored = mapper.to_stored_event(a_full_history()[-1])

    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["grounds"] = "not recorded before version 2"

    monkeypatch.setattr(Partner.Terminated, "class_version", 2, raising=False)
    monkeypatch.setattr(
        Partner.Terminated, "upcast_v1_v2", staticmethod(upcast_v1_v2), raising=False
    )
    restored = mapper.to_domain_event(stored)

    assert vars(restored)["grounds"] == "not recorded before version 2"
    assert vars(restored)["reason"] == "Periodic review"
