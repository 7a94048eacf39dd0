"""Event schemas are versioned, so history can be read after the code changes."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from infra.schemas import load_schema
from registry.domain.claims import PlatformClaim
from registry.domain.criteria import Criterion
from registry.domain.partner import Partner
from registry.domain.platforms import DECLARED
from registry.service.application import PartnerRegistry
from registry.service.records import record_of
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


STORED_TOPICS: dict[type, str] = {
    Partner: "registry.domain:Partner",
    Partner.Registered: "registry.domain:Partner.Registered",
    Partner.Evaluated: "registry.domain:Partner.Evaluated",
    Partner.Warned: "registry.domain:Partner.Warned",
    Partner.Terminated: "registry.domain:Partner.Terminated",
    PlatformClaim: "registry.claims:PlatformClaim",
    PlatformClaim.Claimed: "registry.claims:PlatformClaim.Claimed",
    PlatformClaim.Transferred: "registry.claims:PlatformClaim.Transferred",
}


@pytest.mark.parametrize("cls", STORED_TOPICS, ids=lambda c: c.__qualname__)
def test_the_topic_stored_with_each_event_outlives_moving_its_class(cls: type) -> None:
    # Given the topics history was recorded under, before the classes moved
    topic = STORED_TOPICS[cls]

    # When the library names and finds the class
    # Then both ways match what the store already holds
    assert get_topic(cls) == topic
    assert resolve_topic(topic) is cls


def as_stored_by_version_1(stored: StoredEvent, mapper: Mapper[Any]) -> StoredEvent:
    """A registration as version 1 kept it: the declaration's fields at the top."""
    state = mapper.transcoder.decode(stored.state)
    state.update(state.pop("platform"))
    del state["class_version"]
    return StoredEvent(stored.originator_id, stored.originator_version, stored.topic,
                       mapper.transcoder.encode(state))  # fmt: skip


def test_a_registration_stored_by_version_1_reads_as_today_and_publishes_the_same() -> None:
    # Given a registration stored today, and the same one as version 1 stored it
    mapper = in_memory_registry().mapper
    registration = a_full_history()[0]
    assert isinstance(registration, Partner.Registered)
    stored_now = mapper.to_stored_event(registration)
    stored_then = as_stored_by_version_1(stored_now, mapper)

    # When both are read back
    read_now, read_then = mapper.to_domain_event(stored_now), mapper.to_domain_event(stored_then)
    assert isinstance(read_now, Partner.Registered)
    assert isinstance(read_then, Partner.Registered)

    # Then the old one is upcast to the declaration the aggregate reads,
    # and both publish the very same public record
    assert "platform" not in mapper.transcoder.decode(stored_then.state)
    assert read_then.platform == registration.platform
    assert record_of(read_then) == record_of(read_now) == record_of(registration)
    published = record_of(read_now)
    assert published["type"] == "Registered"
    assert "platform" not in published["data"]
    assert published["data"]["legal_form"] == "private_company"
    assert published["schema_version"] == 1


def test_the_published_registration_schema_declares_exactly_the_platform_fields() -> None:
    # Given the public contract a registration is published under
    data = load_schema("partner-registered.v1")["properties"]["data"]

    # Then it names the fields of the one definition of a platform, no more, no fewer:
    # a field added to the declaration needs a new published schema version
    assert set(data["properties"]) == {field.name for field in DECLARED}
    assert data["additionalProperties"] is False
