"""Suspending a partner's sales, reinstating it, and a platform leaving of its own accord."""

from __future__ import annotations

import pytest

from registry.domain.criteria import Criterion
from registry.domain.exceptions import (
    InvalidSuspensionError,
    PartnerTerminatedError,
    PartnerWithdrawnError,
)
from registry.domain.partner import Partner, Status
from tests.builders import NEXT_MONTH, TODAY, YESTERDAY, decision, findings, registered


def test_a_suspension_pauses_sales_and_outranks_an_open_warning() -> None:
    partner = registered()
    partner.warn(decision(), deadline=NEXT_MONTH, today=TODAY, criterion=Criterion.TECHNOLOGY)

    partner.suspend(decision(actor="director.rina", reason="Investigating fake reviews"),
                    today=TODAY)  # fmt: skip

    event = partner.collect_events()[-1]
    assert isinstance(event, Partner.Suspended)
    assert event.actor == "director.rina"
    assert partner.status is Status.SUSPENDED
    assert partner.suspended_on == YESTERDAY
    assert list(partner.open_warnings) == [1]


def test_a_suspended_partner_can_still_be_evaluated_and_warned() -> None:
    partner = registered()
    partner.suspend(decision(), today=TODAY)

    partner.warn(decision(), deadline=NEXT_MONTH, today=TODAY, criterion=Criterion.TECHNOLOGY)
    partner.evaluate(findings(), [], decision(), today=TODAY)

    assert partner.status is Status.SUSPENDED
    assert partner.open_warnings == {}


def test_reinstatement_lifts_the_suspension_back_to_what_the_warnings_say() -> None:
    partner = registered()
    partner.warn(decision(), deadline=NEXT_MONTH, today=TODAY, criterion=Criterion.TECHNOLOGY)
    partner.suspend(decision(), today=TODAY)

    partner.reinstate(decision(reason="Reviews were genuine"), today=TODAY)

    assert isinstance(partner.collect_events()[-1], Partner.Reinstated)
    assert partner.status is Status.WARNED
    assert partner.suspended_on is None


def test_suspending_twice_or_reinstating_what_is_not_suspended_is_refused() -> None:
    partner = registered()
    with pytest.raises(InvalidSuspensionError, match="is not suspended"):
        partner.reinstate(decision(), today=TODAY)
    partner.suspend(decision(), today=TODAY)

    with pytest.raises(InvalidSuspensionError, match="already suspended"):
        partner.suspend(decision(), today=TODAY)


def test_a_reinstatement_cannot_take_effect_before_the_suspension() -> None:
    partner = registered()
    partner.suspend(decision(effective_date=TODAY), today=TODAY)

    with pytest.raises(InvalidSuspensionError, match="cannot take effect before"):
        partner.reinstate(decision(effective_date=YESTERDAY), today=TODAY)


def test_a_platform_that_leaves_is_withdrawn_not_terminated_and_that_end_is_final() -> None:
    partner = registered()
    partner.suspend(decision(), today=TODAY)

    partner.withdraw(decision(reason="Closing its training business"), today=TODAY)

    assert isinstance(partner.collect_events()[-1], Partner.Withdrawn)
    assert partner.status is Status.WITHDRAWN
    assert partner.status.ended
    assert (partner.withdrawn_on, partner.withdrawal_reason) == (
        YESTERDAY, "Closing its training business",
    )  # fmt: skip
    assert partner.terminated_on is None
    with pytest.raises(PartnerWithdrawnError, match="withdrew from the programme"):
        partner.terminate(decision(), today=TODAY)
    with pytest.raises(PartnerWithdrawnError):
        partner.reinstate(decision(), today=TODAY)


def test_a_terminated_partner_cannot_withdraw_or_be_suspended() -> None:
    partner = registered()
    partner.terminate(decision(), today=TODAY)

    with pytest.raises(PartnerTerminatedError):
        partner.withdraw(decision(), today=TODAY)
    with pytest.raises(PartnerTerminatedError):
        partner.suspend(decision(), today=TODAY)
