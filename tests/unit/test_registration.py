"""Registering a platform: who may become a partner, and what is recorded."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from registry.domain.criteria import LegalForm
from registry.domain.exceptions import (
    IneligiblePlatformError,
    InvalidCommandError,
    NotAPlatformError,
)
from registry.domain.partner import Partner, Status
from registry.domain.platforms import Declaration, declaration
from tests.builders import TODAY, YESTERDAY, decision, platform


def test_eligible_platform_is_registered_active_with_who_why_and_when() -> None:
    details = platform(name="  Tokopedia ", commission_terms="5% of each sale")

    partner = Partner.register(details, decision(actor="officer.budi"), today=TODAY)

    assert partner.name == "Tokopedia"
    assert partner.status is Status.ACTIVE
    assert partner.version == 1
    (event,) = partner.collect_events()
    assert isinstance(event, Partner.Registered)
    assert event.actor == "officer.budi"
    assert event.reason == "Periodic review"
    assert event.effective_date == YESTERDAY
    assert event.platform["commission_terms"] == "5% of each sale"
    assert event.timestamp.tzinfo is not None


def test_site_selling_only_its_own_training_belongs_in_the_institution_register() -> None:
    details = platform(name="Own Academy", open_marketplace=False)

    with pytest.raises(NotAPlatformError, match="training-institution register"):
        Partner.register(details, decision(), today=TODAY)


@pytest.mark.parametrize(
    ("coverage", "technology", "missing"),
    [
        (False, True, "national coverage"),
        (True, False, "technology"),
        (False, False, "national coverage or technology"),
    ],
)
def test_platform_lacking_coverage_or_technology_is_refused(
    coverage: bool, technology: bool, missing: str
) -> None:
    details = platform(national_coverage=coverage, technology_ready=technology)

    with pytest.raises(IneligiblePlatformError, match=missing):
        Partner.register(details, decision(), today=TODAY)


@pytest.mark.parametrize(
    "form",
    [
        LegalForm.PRIVATE_COMPANY,
        LegalForm.STATE_OWNED_ENTERPRISE,
        LegalForm.REGIONAL_GOVERNMENT_ENTERPRISE,
    ],
)
def test_the_three_allowed_legal_forms_need_no_exemption(form: LegalForm) -> None:
    partner = Partner.register(platform(legal_form=form), decision(), today=TODAY)

    assert partner.platform["legal_form"] == form.value
    assert partner.platform["exemption_basis"] is None


@pytest.mark.parametrize("form", [LegalForm.GOVERNMENT_BODY, LegalForm.OTHER])
def test_other_legal_form_without_exemption_is_refused(form: LegalForm) -> None:
    with pytest.raises(IneligiblePlatformError, match="Record an exemption"):
        Partner.register(platform(legal_form=form), decision(), today=TODAY)


def test_government_body_is_registered_with_its_exemption_recorded() -> None:
    details = platform(
        name="Kemnaker.go.id",
        legal_form=LegalForm.GOVERNMENT_BODY,
        exemption_basis="Ministry's own site, accepted by the PMO",
    )

    partner = Partner.register(details, decision(), today=TODAY)

    (event,) = partner.collect_events()
    assert isinstance(event, Partner.Registered)
    assert event.platform["legal_form"] == "government_body"
    assert event.platform["exemption_basis"] == "Ministry's own site, accepted by the PMO"


def test_exemption_for_an_allowed_legal_form_is_refused() -> None:
    details = platform(exemption_basis="not needed")

    with pytest.raises(InvalidCommandError, match="needs no exemption"):
        Partner.register(details, decision(), today=TODAY)


@pytest.mark.parametrize(
    ("details", "field"),
    [
        (platform(name="   "), "platform name"),
        (platform(name="x" * 201), "platform name"),
    ],
)
def test_blank_or_overlong_name_is_refused(details: Declaration, field: str) -> None:
    with pytest.raises(InvalidCommandError, match=field):
        Partner.register(details, decision(), today=TODAY)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"actor": " "}, "actor must not be blank"),
        ({"reason": ""}, "reason must not be blank"),
        ({"effective_date": TODAY + timedelta(days=1)}, "in the future"),
    ],
)
def test_registration_without_actor_reason_or_with_future_date_is_refused(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidCommandError, match=message):
        Partner.register(platform(), decision(**overrides), today=TODAY)


@pytest.mark.parametrize(
    ("text", "where"),
    [("Null\x00Byte", "U+0000 at position 5"), ("Esc\x1b[31m", "U+001B at position 4"),
     ("Half\ud800", "U+D800 at position 5")],
)  # fmt: skip
def test_text_no_feed_could_carry_is_refused_naming_the_character(text: str, where: str) -> None:
    with pytest.raises(InvalidCommandError, match=re.escape(f"platform name contains {where}")):
        Partner.register(platform(name=text), decision(), today=TODAY)
    with pytest.raises(InvalidCommandError, match=re.escape(f"reason contains {where}")):
        Partner.register(platform(), decision(reason=text), today=TODAY)


def test_tabs_and_line_breaks_inside_a_reason_are_kept() -> None:
    partner = Partner.register(platform(), decision(reason="Signed:\n\tsee annex"), today=TODAY)

    (event,) = partner.collect_events()
    assert isinstance(event, Partner.Registered)
    assert event.reason == "Signed:\n\tsee annex"


def test_blank_optional_details_are_recorded_as_absent() -> None:
    details = platform(registration_number="  ", website="", legal_name=" PT X ")

    partner = Partner.register(details, decision(), today=TODAY)

    assert partner.platform["registration_number"] is None
    assert partner.platform["website"] is None
    assert partner.platform["legal_name"] == "PT X"


@pytest.mark.parametrize(
    ("name", "named"),
    [
        ("Platform\u200b X", "U+200B ZERO WIDTH SPACE"),
        ("Plat\u00adform X", "U+00AD SOFT HYPHEN"),
        ("Platform \u202eX", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("Platform\u2066 X", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("\ufeffPlatform X", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("Platform\u200d X", "U+200D ZERO WIDTH JOINER"),
    ],
)
def test_a_name_with_an_invisible_or_direction_character_is_refused_naming_it(
    name: str, named: str
) -> None:
    with pytest.raises(InvalidCommandError, match=re.escape(named)):
        Partner.register(platform(name=name), decision(), today=TODAY)


def test_a_reason_with_a_right_to_left_override_is_refused() -> None:
    with pytest.raises(InvalidCommandError, match="U\\+202E RIGHT-TO-LEFT OVERRIDE"):
        Partner.register(platform(), decision(reason="approved \u202edesoppo"), today=TODAY)


def test_names_in_any_script_are_still_welcome() -> None:
    partner = Partner.register(platform(name="Belajar 学习 Σ Ümlaut"), decision(), today=TODAY)

    assert partner.name == "Belajar 学习 Σ Ümlaut"


def test_the_declared_identifiers_and_terms_are_recorded_as_given() -> None:
    details = platform(
        legal_name="PT Contoh Belajar Indonesia", registration_number="AHU-0012345",
        website="https://contoh.example", commission_terms="10% per sale",
    )  # fmt: skip

    partner = Partner.register(details, decision(), today=TODAY)

    (event,) = partner.collect_events()
    assert isinstance(event, Partner.Registered)
    recorded = (
        event.platform["legal_name"],
        event.platform["registration_number"],
        event.platform["website"],
        event.platform["commission_terms"],
    )
    assert recorded == (
        "PT Contoh Belajar Indonesia",
        "AHU-0012345",
        "https://contoh.example",
        "10% per sale",
    )
    assert partner.platform["registration_number"] == "AHU-0012345"
    assert partner.platform["website"] == "https://contoh.example"


def test_an_actor_name_longer_than_a_name_may_be_is_refused() -> None:
    with pytest.raises(InvalidCommandError, match="actor is 201 characters long; the limit is 200"):
        Partner.register(platform(), decision(actor="a" * 201), today=TODAY)


def test_a_declaration_names_unknown_and_missing_facts_and_unknown_legal_forms() -> None:
    with pytest.raises(InvalidCommandError, match="declares no colour"):
        declaration(name="X", legal_form="private_company", national_coverage=True,
                    technology_ready=True, open_marketplace=True, colour="red")  # fmt: skip
    with pytest.raises(InvalidCommandError, match="needs national_coverage"):
        declaration(name="X", legal_form="private_company", technology_ready=True,
                    open_marketplace=True)  # fmt: skip
    with pytest.raises(InvalidCommandError, match="'cooperative' is not a legal form"):
        Partner.register(platform(legal_form="cooperative"), decision(), today=TODAY)
