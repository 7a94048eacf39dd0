"""Corrections: an event saying what an earlier one should have said; the original stays."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from projections.current_partners import PartnerRow, apply
from registry.domain.criteria import Criterion
from registry.domain.exceptions import InvalidCommandError, InvalidCorrectionError
from registry.domain.partner import Partner
from registry.service.records import record_of
from tests.builders import NEXT_MONTH, TODAY, YESTERDAY, decision, registered


class Recorded:
    """A partner with every event it recorded kept, as the store keeps them."""

    def __init__(self, partner: Partner) -> None:
        self.partner = partner
        self.events: list[Any] = list(partner.collect_events())

    def do(self, command: Any) -> None:
        command(self.partner)
        self.events += self.partner.collect_events()

    def correct(self, version: int, why: str = "Typed wrong", **changes: Any) -> Any:
        self.do(lambda p: p.correct(self.events, version, changes, actor="officer.siti",
                                    reason=why))  # fmt: skip
        return self.events[-1]

    def row(self) -> PartnerRow:
        row = None
        for event in self.events:
            row = apply(row, record_of(event), event.originator_version)
        assert row is not None
        return row


def _warned() -> Recorded:
    partner = Recorded(registered(registration_number="AHU-0001"))
    partner.do(lambda p: p.warn(decision(), deadline=NEXT_MONTH, today=TODAY,
                                criterion=Criterion.TECHNOLOGY))  # fmt: skip
    return partner


def test_a_wrong_registration_number_is_corrected_and_the_original_kept() -> None:
    partner = _warned()

    corrected = partner.correct(1, registration_number="AHU-0010")

    assert isinstance(corrected, Partner.Corrected)
    assert (corrected.corrected_version, corrected.fact_type) == (1, "Registered")
    assert corrected.changes == {"registration_number": "AHU-0010"}
    assert corrected.previous == {"registration_number": "AHU-0001"}
    assert corrected.effective_date == YESTERDAY
    assert partner.partner.platform["registration_number"] == "AHU-0010"
    assert partner.events[0].platform["registration_number"] == "AHU-0001"
    row = partner.row()
    assert row.registration_number == "AHU-0010"
    assert row.corrections[0]["reason"] == "Typed wrong"


def test_a_wrong_deadline_is_corrected_in_the_open_warning() -> None:
    partner = _warned()
    right = NEXT_MONTH + timedelta(days=10)

    partner.correct(2, deadline=right.isoformat())

    assert partner.partner.open_warnings[1]["deadline"] == right
    assert partner.row().open_warnings[0]["deadline"] == right.isoformat()


def test_a_correction_of_a_correction_corrects_the_same_fact_again() -> None:
    partner = _warned()
    partner.correct(1, registration_number="AHU-0010")

    again = partner.correct(3, why="Still wrong", registration_number="AHU-0100")

    assert (again.corrected_version, again.corrected_type) == (3, "Corrected")
    assert (again.fact_version, again.previous) == (1, {"registration_number": "AHU-0010"})
    assert partner.partner.platform["registration_number"] == "AHU-0100"
    assert partner.row().registration_number == "AHU-0100"


def test_a_superseded_fact_is_corrected_in_the_record_but_not_in_the_current_state() -> None:
    partner = _warned()
    partner.do(lambda p: p.extend_deadline(1, decision(), deadline=NEXT_MONTH + timedelta(days=30),
                                           today=TODAY))  # fmt: skip

    partner.correct(2, deadline=(NEXT_MONTH + timedelta(days=5)).isoformat())

    assert partner.partner.open_warnings[1]["deadline"] == NEXT_MONTH + timedelta(days=30)
    assert (
        partner.row().open_warnings[0]["deadline"] == (NEXT_MONTH + timedelta(days=30)).isoformat()
    )


@pytest.mark.parametrize(
    ("version", "changes", "refusal"),
    [
        (9, {"reason": "x"}, "no event 9"),
        (2, {"criterion": "legal_entity"}, "has no criterion to correct"),
        (1, {"legal_form": "government_body"}, "has no legal_form"),
        (1, {"name": " "}, "platform name"),
        (1, {"registration_number": "AHU-0001"}, "changes nothing"),
        (2, {"deadline": YESTERDAY.isoformat()}, "must be after"),
        (2, {"deadline": "31/12/2026"}, "must be a date"),
        (1, {"effective_date": YESTERDAY.isoformat()}, "has no effective_date"),
    ],
)
def test_a_correction_that_would_break_a_rule_is_refused(
    version: int, changes: dict[str, Any], refusal: str
) -> None:
    partner = _warned()

    with pytest.raises(InvalidCommandError, match=refusal):
        partner.correct(version, **changes)

    assert len(partner.events) == 2


def test_an_extension_corrected_below_the_deadline_it_extends_is_refused() -> None:
    partner = _warned()
    partner.do(lambda p: p.extend_deadline(1, decision(), deadline=NEXT_MONTH + timedelta(days=30),
                                           today=TODAY))  # fmt: skip

    with pytest.raises(InvalidCorrectionError, match="must be after"):
        partner.correct(3, deadline=NEXT_MONTH.isoformat())
    with pytest.raises(InvalidCorrectionError, match=r"before .* the extension that follows"):
        partner.correct(2, deadline=(NEXT_MONTH + timedelta(days=30)).isoformat())


def test_a_terminated_partners_record_can_still_be_corrected() -> None:
    partner = _warned()
    partner.do(lambda p: p.terminate(decision(reason="Brech"), today=TODAY))

    partner.correct(3, why="Typo", reason="Breach")

    assert partner.partner.termination_reason == "Breach"
    assert partner.row().termination_reason == "Breach"


def test_replaying_the_events_rebuilds_the_corrected_partner() -> None:
    partner = _warned()
    partner.correct(1, name="Corrected Name")
    partner.correct(2, deadline=(NEXT_MONTH + timedelta(days=3)).isoformat())

    replayed: Any = None
    for event in partner.events:
        replayed = event.mutate(replayed)

    assert replayed.platform == partner.partner.platform
    assert replayed.open_warnings == partner.partner.open_warnings
