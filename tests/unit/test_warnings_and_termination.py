"""Warning a partner of a breach, and ending the partnership."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from registry.domain.criteria import Criterion
from registry.domain.exceptions import (
    InvalidCommandError,
    InvalidWarningError,
    PartnerTerminatedError,
)
from registry.domain.partner import Partner, Status
from tests.builders import NEXT_MONTH, TODAY, YESTERDAY, decision, findings, registered


def test_warning_records_breach_what_it_concerns_and_deadline() -> None:
    partner = registered()

    partner.warn(
        decision(actor="officer.dewi", reason="Sales reports three months late"),
        deadline=NEXT_MONTH,
        today=TODAY,
        obligation="Monthly sales report",
    )

    event = partner.collect_events()[-1]
    assert isinstance(event, Partner.Warned)
    assert event.warning_number == 1
    assert event.obligation == "Monthly sales report"
    assert event.criterion is None
    assert event.deadline == NEXT_MONTH
    assert event.actor == "officer.dewi"
    assert event.reason == "Sales reports three months late"
    assert partner.status is Status.WARNED


def test_warnings_are_numbered_per_partner() -> None:
    partner = registered()

    for _ in range(3):
        partner.warn(decision(), deadline=NEXT_MONTH, today=TODAY, criterion=Criterion.TECHNOLOGY)

    assert sorted(partner.open_warnings) == [1, 2, 3]


@pytest.mark.parametrize("deadline", [TODAY, YESTERDAY])
def test_warning_without_a_future_deadline_is_refused(deadline: object) -> None:
    partner = registered()

    with pytest.raises(InvalidWarningError, match="must be after today"):
        partner.warn(
            decision(),
            deadline=deadline,  # type: ignore[arg-type]
            today=TODAY,
            criterion=Criterion.TECHNOLOGY,
        )


def test_warning_without_a_reason_is_refused() -> None:
    partner = registered()

    with pytest.raises(InvalidCommandError, match="reason must not be blank"):
        partner.warn(
            decision(reason="  "),
            deadline=NEXT_MONTH,
            today=TODAY,
            criterion=Criterion.TECHNOLOGY,
        )


@pytest.mark.parametrize(
    ("criterion", "obligation"),
    [(None, None), (None, "   "), (Criterion.TECHNOLOGY, "Monthly sales report")],
)
def test_warning_must_concern_exactly_one_criterion_or_obligation(
    criterion: Criterion | None, obligation: str | None
) -> None:
    partner = registered()

    with pytest.raises(InvalidWarningError, match="exactly one"):
        partner.warn(
            decision(),
            deadline=NEXT_MONTH,
            today=TODAY,
            criterion=criterion,
            obligation=obligation,
        )


def test_termination_records_reason_date_and_deciding_actor() -> None:
    partner = registered()

    partner.terminate(decision(actor="director.rina", reason="Breach not remedied"), today=TODAY)

    event = partner.collect_events()[-1]
    assert isinstance(event, Partner.Terminated)
    assert event.actor == "director.rina"
    assert event.reason == "Breach not remedied"
    assert event.effective_date == YESTERDAY
    assert partner.status is Status.TERMINATED
    assert partner.terminated_on == YESTERDAY


Command = Callable[[Partner], None]
LATER_COMMANDS: dict[str, Command] = {
    "evaluation": lambda p: p.evaluate(findings(), [], decision(), today=TODAY),
    "warning": lambda p: p.warn(
        decision(), deadline=NEXT_MONTH, today=TODAY, criterion=Criterion.TECHNOLOGY
    ),
    "termination": lambda p: p.terminate(decision(), today=TODAY),
}


@pytest.mark.parametrize(("what", "command"), LATER_COMMANDS.items(), ids=LATER_COMMANDS.keys())
def test_terminated_partner_refuses_every_later_command_naming_it(
    what: str, command: Command
) -> None:
    partner = registered()
    partner.terminate(decision(reason="Fraud"), today=TODAY)

    with pytest.raises(PartnerTerminatedError, match=f"final, so an? {what} cannot be recorded"):
        command(partner)

    assert partner.version == 2


def test_termination_in_the_future_is_refused() -> None:
    partner = registered()

    with pytest.raises(InvalidCommandError, match="in the future"):
        partner.terminate(decision(effective_date=TODAY + timedelta(days=1)), today=TODAY)


def warned_partner() -> Partner:
    """A partner with warning #1 open, effective yesterday, due next month."""
    partner = registered()
    partner.warn(decision(), deadline=NEXT_MONTH, today=TODAY, criterion=Criterion.TECHNOLOGY)
    partner.collect_events()
    return partner


def test_a_warning_issued_in_error_is_withdrawn_not_resolved() -> None:
    partner = warned_partner()

    partner.withdraw_warning(1, decision(reason="Issued to the wrong platform"), today=TODAY)

    [event] = partner.collect_events()
    assert isinstance(event, Partner.WarningWithdrawn)
    assert event.warning_number == 1
    assert event.reason == "Issued to the wrong platform"
    assert partner.open_warnings == {}
    assert partner.status is Status.ACTIVE


@pytest.mark.parametrize(("number", "message"), [(2, "was never issued"), (0, "was never issued")])
def test_withdrawing_a_warning_never_issued_is_refused(number: int, message: str) -> None:
    partner = warned_partner()

    with pytest.raises(InvalidWarningError, match=message):
        partner.withdraw_warning(number, decision(), today=TODAY)


def test_a_warning_already_withdrawn_cannot_be_withdrawn_or_extended_again() -> None:
    partner = warned_partner()
    partner.withdraw_warning(1, decision(), today=TODAY)

    with pytest.raises(InvalidWarningError, match="no longer open"):
        partner.withdraw_warning(1, decision(), today=TODAY)
    with pytest.raises(InvalidWarningError, match="no longer open"):
        partner.extend_deadline(1, decision(), deadline=NEXT_MONTH + timedelta(days=9), today=TODAY)


def test_a_deadline_is_extended_forward_and_the_old_one_is_recorded() -> None:
    partner = warned_partner()
    later = NEXT_MONTH + timedelta(days=14)

    partner.extend_deadline(1, decision(reason="Audit delayed by flooding"), deadline=later,
                            today=TODAY)  # fmt: skip

    [event] = partner.collect_events()
    assert isinstance(event, Partner.WarningDeadlineExtended)
    assert (event.deadline, event.previous_deadline) == (later, NEXT_MONTH)
    assert partner.open_warnings[1]["deadline"] == later
    assert partner.status is Status.WARNED


@pytest.mark.parametrize("days", [0, -1])
def test_a_deadline_cannot_be_kept_or_brought_forward(days: int) -> None:
    partner = warned_partner()

    with pytest.raises(InvalidWarningError, match="can only be extended"):
        partner.extend_deadline(1, decision(), deadline=NEXT_MONTH + timedelta(days=days),
                                today=TODAY)  # fmt: skip


def test_a_decision_on_a_warning_cannot_take_effect_before_the_warning() -> None:
    partner = registered()
    partner.warn(decision(effective_date=TODAY), deadline=NEXT_MONTH, today=TODAY,
                 criterion=Criterion.TECHNOLOGY)  # fmt: skip

    with pytest.raises(InvalidWarningError, match="cannot take effect before"):
        partner.withdraw_warning(1, decision(effective_date=YESTERDAY), today=TODAY)


def test_no_decision_on_a_warning_after_termination() -> None:
    partner = warned_partner()
    partner.terminate(decision(), today=TODAY)

    with pytest.raises(PartnerTerminatedError):
        partner.withdraw_warning(1, decision(), today=TODAY)


def test_a_warning_is_resolved_on_evidence_without_an_evaluation() -> None:
    partner = warned_partner()

    partner.resolve_warning(1, decision(reason="Integration restored"),
                            evidence="Uptime report for May: 99.9%", today=TODAY)  # fmt: skip

    [event] = partner.collect_events()
    assert isinstance(event, Partner.WarningResolved)
    assert (event.warning_number, event.evidence) == (1, "Uptime report for May: 99.9%")
    assert partner.status is Status.ACTIVE


def test_a_resolution_needs_evidence_and_an_open_warning() -> None:
    partner = warned_partner()

    with pytest.raises(InvalidCommandError, match="evidence"):
        partner.resolve_warning(1, decision(), evidence="  ", today=TODAY)
    partner.resolve_warning(1, decision(), evidence="Report filed", today=TODAY)
    with pytest.raises(InvalidWarningError, match="no longer open"):
        partner.resolve_warning(1, decision(), evidence="Again", today=TODAY)
