"""A platform changing its names, number, website or commission terms during its partnership."""

from __future__ import annotations

import pytest

from projections.current_partners import apply
from registry.domain.exceptions import InvalidCommandError, PartnerTerminatedError
from registry.domain.partner import Partner
from tests.builders import TODAY, YESTERDAY, decision, records_of, registered


def test_an_amendment_records_only_what_changes_beside_what_it_was() -> None:
    partner = registered(name="Pintaria", website="https://pintaria.com")

    partner.amend_details(
        {"name": "Pintaria Academy", "website": "https://pintaria.com", "legal_name": "PT HarukaEDU"},
        decision(reason="Rebranded"), today=TODAY,
    )  # fmt: skip

    event = partner.collect_events()[-1]
    assert isinstance(event, Partner.DetailsAmended)
    assert event.changes == {"name": "Pintaria Academy", "legal_name": "PT HarukaEDU"}
    assert event.previous == {"name": "Pintaria", "legal_name": None}
    assert partner.name == "Pintaria Academy"
    assert partner.platform["website"] == "https://pintaria.com"


def test_a_detail_can_be_cleared_and_text_is_cleaned() -> None:
    partner = registered(commission_terms="10% of each sale")

    partner.amend_details({"commission_terms": None, "website": "  https://x.id "},
                          decision(), today=TODAY)  # fmt: skip

    assert partner.platform["commission_terms"] is None
    assert partner.platform["website"] == "https://x.id"


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"legal_form": "government_body"}, "legal_form cannot be amended"),
        ({"open_marketplace": False}, "open_marketplace cannot be amended"),
        ({"name": None}, "platform name"),
        ({"name": "  "}, "platform name"),
        ({}, "changes none"),
    ],
)
def test_an_amendment_that_would_break_the_declaration_is_refused(
    changes: dict[str, str | None], refusal: str
) -> None:
    partner = registered()
    partner.collect_events()

    with pytest.raises(InvalidCommandError, match=refusal):
        partner.amend_details(changes, decision(), today=TODAY)

    assert partner.collect_events() == []


def test_an_amendment_that_changes_nothing_is_refused() -> None:
    partner = registered(website="https://a.id")

    with pytest.raises(InvalidCommandError, match="changes none"):
        partner.amend_details({"website": "https://a.id"}, decision(), today=TODAY)


def test_an_ended_partnership_cannot_be_amended() -> None:
    partner = registered()
    partner.terminate(decision(), today=TODAY)

    with pytest.raises(PartnerTerminatedError):
        partner.amend_details({"website": "https://new.id"}, decision(), today=TODAY)


def test_the_register_row_shows_the_amended_details() -> None:
    partner = registered(name="Sekolahmu", registration_number="AHU-1")
    partner.amend_details({"name": "Sekolahmu.co.id", "registration_number": "AHU-2"},
                          decision(effective_date=YESTERDAY), today=TODAY)  # fmt: skip
    registration, amendment = records_of(partner)

    row = apply(apply(None, registration, 1), amendment, 2)

    assert (row.name, row.registration_number, row.version) == ("Sekolahmu.co.id", "AHU-2", 2)
    assert row.status == "active"
