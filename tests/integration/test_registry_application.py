"""The registry application on real stores: each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from registry.domain.claims import ClaimKind, PlatformClaim
from registry.domain.commands import (
    EvaluatePartner,
    RegisterPartner,
    TerminatePartner,
    WarnPartner,
)
from registry.domain.criteria import Criterion, LegalForm
from registry.domain.exceptions import (
    DuplicatePartnerError,
    IncompleteEvaluationError,
    PartnerNotFoundError,
    PartnerTerminatedError,
    StaleVersionError,
)
from registry.domain.partner import Partner, Status
from registry.service.application import PartnerRegistry
from tests.builders import (
    NEXT_MONTH,
    YESTERDAY,
    decision,
    findings,
    obligation,
    platform,
)

pytestmark = pytest.mark.postgres


def register(registry: PartnerRegistry, **overrides: object) -> RegisterPartner:
    command = RegisterPartner(platform(**overrides), decision())
    registry.register(command)
    return command


def test_registered_partner_reads_back_with_its_details_and_history(
    registry: PartnerRegistry,
) -> None:
    recorded = registry.register(
        RegisterPartner(
            platform(name="Pintaria", registration_number="NIB 123", website="pintaria.com"),
            decision(actor="officer.budi", reason="Signed agreement"),
        )
    )

    partner = registry.get(recorded.partner_id)
    history = registry.history(recorded.partner_id)

    assert partner.name == "Pintaria"
    assert partner.platform["registration_number"] == "NIB 123"
    assert partner.status is Status.ACTIVE
    assert partner.registered_on == YESTERDAY
    assert [e["type"] for e in history] == ["Registered"]
    assert history[0]["actor"] == "officer.budi"
    assert history[0]["reason"] == "Signed agreement"
    assert history[0]["effective_date"] == YESTERDAY.isoformat()
    assert recorded.version == 1
    assert recorded.position >= 1


def test_a_partners_whole_life_is_recorded_in_order(registry: PartnerRegistry) -> None:
    partner_id = registry.register(RegisterPartner(platform(), decision())).partner_id

    registry.evaluate(EvaluatePartner(partner_id, findings(), [obligation()], decision()))
    registry.warn(
        WarnPartner(partner_id, decision(), deadline=NEXT_MONTH, criterion=Criterion.TECHNOLOGY)
    )
    last = registry.terminate(TerminatePartner(partner_id, decision(reason="Fraud")))

    history = registry.history(partner_id)
    assert [e["type"] for e in history] == [
        "Registered",
        "Evaluated",
        "Warned",
        "Terminated",
    ]
    assert [e["version"] for e in history] == [1, 2, 3, 4]
    assert last.version == 4
    warned = history[2]
    assert warned["type"] == "Warned"
    assert warned["data"]["deadline"] == NEXT_MONTH.isoformat()
    assert registry.get(partner_id).status is Status.TERMINATED
    assert registry.get(partner_id).termination_reason == "Fraud"


def test_list_gives_every_partnership_in_registration_order_and_filters_by_status(
    registry: PartnerRegistry,
) -> None:
    ids = [registry.register(RegisterPartner(platform(), decision())).partner_id for _ in range(3)]
    registry.terminate(TerminatePartner(ids[1], decision()))

    everyone = registry.list_partners()
    terminated = registry.list_partners(Status.TERMINATED)

    assert [p.id for p in everyone] == ids
    assert [p.id for p in terminated] == [ids[1]]
    assert [p.id for p in registry.list_partners(Status.ACTIVE)] == [ids[0], ids[2]]


def test_list_pages_through_a_long_register(registry: PartnerRegistry) -> None:
    ids = [
        registry.register(RegisterPartner(platform(), decision())).partner_id for _ in range(505)
    ]

    assert [p.id for p in registry.list_partners()] == ids


@pytest.mark.parametrize("spelling", ["mau belajar apa", "MAUBELAJARAPA", " Mau  Belajar Apa"])
def test_find_by_name_ignores_case_and_spaces(registry: PartnerRegistry, spelling: str) -> None:
    register(registry, name="Mau Belajar Apa")

    found = registry.find_by_name(spelling)

    assert found is not None
    assert found.name == "Mau Belajar Apa"
    assert registry.find_by_name("Mau Belajar") is None


@pytest.mark.parametrize("spelling", ["SEKOLAHMU", "sekolah mu", "Sekolahmu"])
def test_second_registration_of_the_same_name_is_refused(
    registry: PartnerRegistry, spelling: str
) -> None:
    register(registry, name="Sekolahmu")
    before = registry.recorder.max_notification_id()

    with pytest.raises(DuplicatePartnerError, match="Sekolahmu is already a partner"):
        register(registry, name=spelling)

    assert registry.recorder.max_notification_id() == before


def test_second_registration_with_the_same_registration_number_is_refused(
    registry: PartnerRegistry,
) -> None:
    register(registry, name="Bukalapak", registration_number="8120 0001")

    with pytest.raises(DuplicatePartnerError, match="same registration number"):
        register(registry, name="Bukalapak Academy", registration_number="81200001")


def test_platform_whose_partnership_was_terminated_can_start_a_new_one(
    registry: PartnerRegistry,
) -> None:
    first = registry.register(
        RegisterPartner(platform(name="Ruangguru", registration_number="R-1"), decision())
    ).partner_id
    registry.terminate(TerminatePartner(first, decision()))

    second = registry.register(
        RegisterPartner(platform(name="ruangguru", registration_number="R-1"), decision())
    ).partner_id

    assert second != first
    assert registry.get(first).status is Status.TERMINATED
    found = registry.find_by_name("Ruangguru")
    assert found is not None
    assert found.id == second
    with pytest.raises(DuplicatePartnerError):
        register(registry, name="RUANGGURU")


def test_command_on_a_stale_version_is_refused_and_records_nothing(
    registry: PartnerRegistry,
) -> None:
    partner_id = registry.register(RegisterPartner(platform(), decision())).partner_id
    registry.evaluate(EvaluatePartner(partner_id, findings(), [], decision()))

    with pytest.raises(StaleVersionError, match="at version 2, not 1"):
        registry.terminate(TerminatePartner(partner_id, decision(), expected_version=1))

    assert registry.get(partner_id).version == 2
    assert registry.get(partner_id).status is Status.ACTIVE


def test_refused_commands_record_nothing(registry: PartnerRegistry) -> None:
    live = registry.register(RegisterPartner(platform(), decision())).partner_id
    ended = registry.register(RegisterPartner(platform(), decision())).partner_id
    registry.terminate(TerminatePartner(ended, decision()))
    before = registry.recorder.max_notification_id()
    partial = findings()
    del partial[Criterion.TECHNOLOGY]

    with pytest.raises(PartnerTerminatedError):
        registry.evaluate(EvaluatePartner(ended, findings(), [], decision()))
    with pytest.raises(IncompleteEvaluationError):
        registry.evaluate(EvaluatePartner(live, partial, [], decision()))

    assert registry.recorder.max_notification_id() == before


def test_unknown_partner_is_reported_not_found(registry: PartnerRegistry) -> None:
    registry.register(RegisterPartner(platform(), decision()))
    unknown = uuid.UUID(int=12345)

    with pytest.raises(PartnerNotFoundError, match=str(unknown)):
        registry.get(unknown)
    with pytest.raises(PartnerNotFoundError):
        registry.history(unknown)
    with pytest.raises(PartnerNotFoundError):
        registry.terminate(TerminatePartner(unknown, decision()))


def test_exempted_government_site_is_stored_with_its_basis(
    registry: PartnerRegistry,
) -> None:
    recorded = registry.register(
        RegisterPartner(
            platform(legal_form=LegalForm.GOVERNMENT_BODY, exemption_basis="Ministry site"),
            decision(),
        )
    )

    partner = registry.get(recorded.partner_id)

    assert partner.platform["legal_form"] == "government_body"
    assert partner.platform["exemption_basis"] == "Ministry site"


@pytest.mark.parametrize(
    "lookalike",
    [
        "Platf\u043erm Nusantara",  # a Cyrillic o
        "P1atform Nusantara",  # the digit one for an l
        "Platforrn Nusantara",  # r and n for an m
        "\uff30latform \uff2eusantara",  # full-width letters
    ],
)
def test_a_name_that_looks_the_same_is_refused_as_a_second_live_partnership(
    registry: PartnerRegistry, lookalike: str
) -> None:
    register(registry, name="Platform Nusantara")
    before = registry.recorder.max_notification_id()

    with pytest.raises(DuplicatePartnerError, match="Platform Nusantara is already a partner"):
        register(registry, name=lookalike)

    assert registry.recorder.max_notification_id() == before
    found = registry.find_by_name(lookalike)
    assert found is not None
    assert found.name == "Platform Nusantara"


def test_live_partners_recorded_before_the_lookalike_rule_get_their_claim(
    registry: PartnerRegistry,
) -> None:
    partner = Partner.register(platform(name="Platform Lama"), decision(), today=registry.today())
    name_only = PlatformClaim(
        kind=ClaimKind.NAME.value, identifier="Platform Lama", partner_id=partner.id
    )
    registry.save(partner, name_only)

    added = registry.claim_lookalike_names()
    again = registry.claim_lookalike_names()

    assert (added, again) == (1, 0)
    with pytest.raises(DuplicatePartnerError, match="looks the same"):
        register(registry, name="P1atform Lama")
