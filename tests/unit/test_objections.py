"""A platform's objections (keberatan) to warnings, suspensions and terminations, and decisions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from projections.current_partners import PartnerRow, apply
from registry.domain.criteria import Criterion
from registry.domain.exceptions import InvalidObjectionError, PartnerTerminatedError
from registry.domain.partner import OBJECTION_WINDOW, Partner, Status
from tests.builders import NEXT_MONTH, TODAY, YESTERDAY, decision, records_of, registered


def _folded(partner: Partner) -> PartnerRow:
    row = None
    for position, record in enumerate(records_of(partner), start=1):
        row = apply(row, record, position)
    assert row is not None
    return row


def test_an_upheld_objection_to_a_termination_restores_the_partnership() -> None:
    partner = registered()
    partner.terminate(decision(reason="Fake reviews"), today=TODAY)

    partner.lodge_objection(2, decision(reason="Reviews were genuine"), today=TODAY)
    partner.decide_objection(1, decision(actor="director.rina", reason="Evidence accepted"),
                             upheld=True, today=TODAY)  # fmt: skip

    lodged, decided = partner.collect_events()[-2:]
    assert isinstance(lodged, Partner.ObjectionLodged)
    assert (lodged.against_version, lodged.against_type) == (2, "Terminated")
    assert isinstance(decided, Partner.ObjectionDecided)
    assert (decided.outcome, decided.lifted) == ("upheld", "termination")
    assert partner.status is Status.ACTIVE
    assert partner.terminated_on is None


def test_a_dismissed_objection_leaves_the_termination_final() -> None:
    partner = registered()
    partner.terminate(decision(), today=TODAY)
    partner.lodge_objection(2, decision(), today=TODAY)

    partner.decide_objection(1, decision(reason="No new evidence"), upheld=False, today=TODAY)

    assert partner.status is Status.TERMINATED
    assert partner.objections[1]["outcome"] == "dismissed"
    with pytest.raises(PartnerTerminatedError):
        partner.evaluate({}, [], decision(), today=TODAY)


def test_upholding_an_objection_to_a_suspension_lifts_it_and_to_a_warning_closes_it() -> None:
    partner = registered()
    partner.warn(decision(), deadline=NEXT_MONTH, today=TODAY, criterion=Criterion.TECHNOLOGY)
    partner.suspend(decision(), today=TODAY)
    partner.lodge_objection(2, decision(), today=TODAY)
    partner.lodge_objection(3, decision(), today=TODAY)

    partner.decide_objection(2, decision(), upheld=True, today=TODAY)
    after_suspension_lifted = partner.status
    partner.decide_objection(1, decision(), upheld=True, today=TODAY)

    assert after_suspension_lifted is Status.WARNED
    assert partner.status is Status.ACTIVE
    row = _folded(partner)
    assert (row.status, row.open_warnings, row.suspended_on) == ("active", (), None)
    assert [(o["against_type"], o["outcome"]) for o in row.objections] == [
        ("Warned", "upheld"), ("Suspended", "upheld"),
    ]  # fmt: skip


def test_upholding_after_the_decision_was_already_undone_lifts_nothing() -> None:
    partner = registered()
    partner.suspend(decision(), today=TODAY)
    partner.lodge_objection(2, decision(), today=TODAY)
    partner.reinstate(decision(), today=TODAY)
    partner.suspend(decision(reason="A second investigation"), today=TODAY)

    partner.decide_objection(1, decision(), upheld=True, today=TODAY)

    assert partner.collect_events()[-1].lifted is None  # type: ignore[attr-defined]
    assert partner.status is Status.SUSPENDED


def test_the_termination_row_is_restored_on_an_upheld_objection() -> None:
    partner = registered()
    partner.terminate(decision(), today=TODAY)
    partner.lodge_objection(2, decision(reason="Grounds"), today=TODAY)
    partner.decide_objection(1, decision(reason="Upheld"), upheld=True, today=TODAY)

    row = _folded(partner)

    assert (row.status, row.terminated_on, row.termination_reason) == ("active", None, None)
    assert row.objections[0]["grounds"] == "Grounds"
    assert row.objections[0]["decision_reason"] == "Upheld"


@pytest.mark.parametrize(
    ("against", "refusal"),
    [(1, "not a warning, suspension or termination"), (9, "not a warning")],
)
def test_only_a_warning_suspension_or_termination_can_be_objected_to(
    against: int, refusal: str
) -> None:
    partner = registered()
    partner.suspend(decision(), today=TODAY)

    with pytest.raises(InvalidObjectionError, match=refusal):
        partner.lodge_objection(against, decision(), today=TODAY)


def test_an_objection_must_be_lodged_within_the_window_and_only_once() -> None:
    decided_on = YESTERDAY - timedelta(days=40)
    partner = Partner.register(
        registered().platform | {"name": "Windowed"},
        decision(effective_date=decided_on), today=TODAY,
    )  # fmt: skip
    partner.suspend(decision(effective_date=decided_on), today=TODAY)
    last_day = decided_on + OBJECTION_WINDOW

    with pytest.raises(InvalidObjectionError, match="outside that window"):
        partner.lodge_objection(2, decision(effective_date=last_day + timedelta(days=1)),
                                today=TODAY)  # fmt: skip
    partner.lodge_objection(2, decision(effective_date=last_day), today=TODAY)
    with pytest.raises(InvalidObjectionError, match="already objected to: objection #1"):
        partner.lodge_objection(2, decision(effective_date=last_day), today=TODAY)


def test_an_objection_is_decided_once_and_not_before_it_was_lodged() -> None:
    partner = registered()
    partner.suspend(decision(), today=TODAY)
    partner.lodge_objection(2, decision(effective_date=TODAY), today=TODAY)

    with pytest.raises(InvalidObjectionError, match="cannot be decided with effect before"):
        partner.decide_objection(1, decision(effective_date=YESTERDAY), upheld=True, today=TODAY)
    with pytest.raises(InvalidObjectionError, match="No objection #2"):
        partner.decide_objection(2, decision(effective_date=TODAY), upheld=True, today=TODAY)
    partner.decide_objection(1, decision(effective_date=TODAY), upheld=False, today=TODAY)
    with pytest.raises(InvalidObjectionError, match="already decided: dismissed"):
        partner.decide_objection(1, decision(effective_date=TODAY), upheld=True, today=TODAY)
