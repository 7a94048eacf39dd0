"""The current-partners row, folded from a partner's events."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

import pytest

from projections.current_partners import (
    PartnerRow,
    ProjectionError,
    apply,
    change,
    overdue_warnings,
)
from registry.domain.criteria import Criterion, LegalForm, Verdict
from registry.service.records import PublicRecord
from tests.builders import NEXT_MONTH, TODAY, YESTERDAY, decision, findings, records_of, registered


def fold(records: list[PublicRecord]) -> PartnerRow:
    row = None
    for position, record in enumerate(records, start=1):
        row = apply(row, record, position)
    assert row is not None
    return row


def test_registered_partner_is_an_active_row() -> None:
    partner = registered(name="Pintaria")
    records = records_of(partner)

    row = fold(records)

    assert (row.name, row.status, row.version, row.position) == ("Pintaria", "active", 1, 1)
    assert row.partner_id == str(partner.id)
    assert row.registered_on == YESTERDAY.isoformat()
    assert row.latest_outcome is None
    assert row.updated_at == records[0]["recorded_at"]


def test_an_exempted_government_site_keeps_its_legal_form_and_basis() -> None:
    partner = registered(
        name="Kemnaker.go.id", legal_form=LegalForm.GOVERNMENT_BODY,
        exemption_basis="Run by the Ministry of Manpower itself",
    )  # fmt: skip

    row = fold(records_of(partner))

    assert (row.legal_form, row.exemption_basis) == (
        "government_body",
        "Run by the Ministry of Manpower itself",
    )


def test_the_row_as_json_lists_open_warnings_as_objects() -> None:
    partner = registered()
    partner.warn(
        decision(reason="Late"), deadline=NEXT_MONTH, today=TODAY, criterion=Criterion.TECHNOLOGY
    )

    plain = fold(records_of(partner)).to_json()

    assert plain["open_warnings"][0]["criterion"] == "technology"
    assert plain["open_warnings"][0]["deadline"] == NEXT_MONTH.isoformat()


def test_warning_opens_and_compliant_evaluation_closes_it() -> None:
    partner = registered()
    partner.warn(
        decision(reason="Late"), deadline=NEXT_MONTH, today=TODAY, criterion=Criterion.TECHNOLOGY
    )
    warned = fold(records_of(partner))
    partner.evaluate(findings(), [], decision(), today=TODAY)

    row = apply(warned, records_of(partner)[-1], position=9)

    assert warned.status == "warned"
    assert warned.open_warnings[0]["deadline"] == NEXT_MONTH.isoformat()
    assert warned.open_warnings[0]["breach"] == "Late"
    assert row.status == "active"
    assert row.open_warnings == ()
    assert (row.latest_outcome, row.version, row.position) == ("compliant", 3, 9)


def test_a_withdrawn_warning_leaves_the_row_and_an_extension_moves_its_deadline() -> None:
    partner = registered()
    for criterion in (Criterion.TECHNOLOGY, Criterion.OPEN_MARKETPLACE):
        partner.warn(decision(), deadline=NEXT_MONTH, today=TODAY, criterion=criterion)
    later = NEXT_MONTH + timedelta(days=10)
    partner.extend_deadline(2, decision(), deadline=later, today=TODAY)
    partner.withdraw_warning(1, decision(), today=TODAY)

    row = fold(records_of(partner))

    assert [(w["warning_number"], w["deadline"]) for w in row.open_warnings] == [
        (2, later.isoformat())
    ]
    assert row.status == "warned"
    assert row.version == 5


@pytest.mark.parametrize("closed_by", ["withdrawal", "resolution"])
def test_closing_the_last_open_warning_makes_the_partner_active_again(closed_by: str) -> None:
    partner = registered()
    partner.warn(decision(), deadline=NEXT_MONTH, today=TODAY, criterion=Criterion.TECHNOLOGY)
    if closed_by == "withdrawal":
        partner.withdraw_warning(1, decision(), today=TODAY)
    else:
        partner.resolve_warning(1, decision(), evidence="Report filed", today=TODAY)

    row = fold(records_of(partner))

    assert (row.status, row.open_warnings) == ("active", ())


def test_non_compliant_evaluation_keeps_warnings_open() -> None:
    partner = registered()
    partner.warn(decision(), deadline=NEXT_MONTH, today=TODAY, criterion=Criterion.TECHNOLOGY)
    partner.evaluate(findings(technology=Verdict.FAIL), [], decision(), today=TODAY)

    row = fold(records_of(partner))

    assert row.status == "warned"
    assert row.latest_outcome == "non_compliant"


def test_termination_is_recorded_with_date_and_reason() -> None:
    partner = registered()
    partner.terminate(decision(reason="Fraud"), today=TODAY)

    row = fold(records_of(partner))

    assert (row.status, row.terminated_on, row.termination_reason) == (
        "terminated", YESTERDAY.isoformat(), "Fraud"
    )  # fmt: skip


def test_an_event_that_does_not_follow_the_row_is_refused() -> None:
    partner = registered()
    partner.terminate(decision(), today=TODAY)
    registered_record, terminated_record = records_of(partner)

    with pytest.raises(ProjectionError, match="cannot follow nothing"):
        apply(None, terminated_record, 2)
    with pytest.raises(ProjectionError, match="registered twice"):
        apply(apply(None, registered_record, 1), registered_record, 1)


def test_a_past_register_refuses_an_event_of_a_partner_it_never_saw_registered() -> None:
    partner = registered()
    partner.terminate(decision(), today=TODAY)
    _, terminated_record = records_of(partner)

    with pytest.raises(ProjectionError, match=f"partner {partner.id} was never registered"):
        change(None, terminated_record, 2)


def test_an_event_of_an_unknown_type_is_refused_naming_the_type() -> None:
    partner = registered()
    partner.terminate(decision(), today=TODAY)
    registered_record, terminated_record = records_of(partner)
    row = apply(None, registered_record, 1)

    with pytest.raises(ProjectionError, match="unknown event type 'Hibernated'"):
        apply(row, cast(PublicRecord, {**terminated_record, "type": "Hibernated"}), 2)


def test_a_warning_is_overdue_from_the_day_after_its_deadline_until_cured() -> None:
    partner = registered()
    partner.warn(decision(), deadline=NEXT_MONTH, today=TODAY, criterion=Criterion.TECHNOLOGY)
    warned = fold(records_of(partner))
    later = NEXT_MONTH + timedelta(days=20)
    partner.extend_deadline(1, decision(), deadline=later, today=TODAY)
    extended = apply(warned, records_of(partner)[-1], position=7)
    partner.terminate(decision(), today=TODAY)
    ended = apply(extended, records_of(partner)[-1], position=8)

    assert overdue_warnings(warned, NEXT_MONTH) == []
    assert overdue_warnings(warned, NEXT_MONTH + timedelta(days=1)) == [1]
    assert overdue_warnings(extended, NEXT_MONTH + timedelta(days=1)) == []
    assert overdue_warnings(extended, later + timedelta(days=1)) == [1]
    assert overdue_warnings(ended, later + timedelta(days=1)) == []


def test_a_suspension_shows_over_warnings_and_reinstatement_gives_them_back() -> None:
    partner = registered()
    partner.warn(decision(), deadline=NEXT_MONTH, today=TODAY, criterion=Criterion.TECHNOLOGY)
    partner.suspend(decision(), today=TODAY)
    suspended = fold(records_of(partner))
    partner.warn(decision(), deadline=NEXT_MONTH, today=TODAY, criterion=Criterion.LEGAL_ENTITY)
    still = apply(suspended, records_of(partner)[-1], position=8)
    partner.reinstate(decision(), today=TODAY)

    reinstated = apply(still, records_of(partner)[-1], position=9)

    assert (suspended.status, suspended.suspended_on) == ("suspended", YESTERDAY.isoformat())
    assert still.status == "suspended"
    assert (reinstated.status, reinstated.suspended_on) == ("warned", None)


def test_a_withdrawn_partnership_is_not_shown_as_terminated() -> None:
    partner = registered()
    partner.withdraw(decision(reason="Leaving the programme"), today=TODAY)

    row = fold(records_of(partner))

    assert row.status == "withdrawn"
    assert (row.withdrawn_on, row.withdrawal_reason) == (YESTERDAY.isoformat(),
                                                         "Leaving the programme")  # fmt: skip
    assert (row.terminated_on, row.termination_reason) == (None, None)
