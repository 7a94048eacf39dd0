"""Evaluating a partner against the four criteria and its agreement."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from registry.domain.criteria import Criterion, LegalForm, Verdict
from registry.domain.exceptions import IncompleteEvaluationError, InvalidCommandError
from registry.domain.partner import Partner, Status
from tests.builders import (
    NEXT_MONTH,
    TODAY,
    YESTERDAY,
    decision,
    findings,
    obligation,
    platform,
    registered,
)


def last_event(partner: Partner) -> object:
    return partner.collect_events()[-1]


def test_all_criteria_passed_and_obligations_met_is_compliant() -> None:
    partner = registered()

    partner.evaluate(findings(), [obligation(met=True)], decision(), today=TODAY)

    event = last_event(partner)
    assert isinstance(event, Partner.Evaluated)
    assert event.outcome == "compliant"
    assert set(event.criteria) == {c.value for c in Criterion}
    assert event.criteria["technology"] == {
        "verdict": "pass",
        "finding": "technology checked",
    }
    assert event.obligations == [
        {
            "obligation": "Monthly sales report",
            "met": True,
            "finding": "Reports reviewed",
        }
    ]
    assert partner.latest_evaluation is not None
    assert partner.latest_evaluation["outcome"] == "compliant"


def test_a_failed_criterion_makes_the_evaluation_non_compliant() -> None:
    partner = registered()

    partner.evaluate(findings(national_coverage=Verdict.FAIL), [], decision(), today=TODAY)

    event = last_event(partner)
    assert isinstance(event, Partner.Evaluated)
    assert event.outcome == "non_compliant"


def test_an_unmet_obligation_makes_the_evaluation_non_compliant() -> None:
    partner = registered()

    partner.evaluate(findings(), [obligation(met=False)], decision(), today=TODAY)

    event = last_event(partner)
    assert isinstance(event, Partner.Evaluated)
    assert event.outcome == "non_compliant"


def test_evaluation_missing_a_criterion_is_refused_naming_it() -> None:
    partner = registered()
    partial = findings()
    del partial[Criterion.OPEN_MARKETPLACE]

    with pytest.raises(IncompleteEvaluationError, match="open_marketplace"):
        partner.evaluate(partial, [], decision(), today=TODAY)

    assert partner.version == 1


def test_exempt_verdict_is_accepted_for_an_exempted_legal_form() -> None:
    partner = registered(legal_form=LegalForm.GOVERNMENT_BODY, exemption_basis="Ministry site")

    partner.evaluate(findings(legal_entity=Verdict.EXEMPT), [], decision(), today=TODAY)

    event = last_event(partner)
    assert isinstance(event, Partner.Evaluated)
    assert event.criteria["legal_entity"]["verdict"] == "exempt"
    assert event.outcome == "compliant"


def test_exempt_verdict_without_a_recorded_exemption_is_refused() -> None:
    partner = registered()

    with pytest.raises(InvalidCommandError, match="no recorded legal-form exemption"):
        partner.evaluate(findings(legal_entity=Verdict.EXEMPT), [], decision(), today=TODAY)


def test_only_the_legal_entity_criterion_can_be_exempted() -> None:
    partner = registered(legal_form=LegalForm.GOVERNMENT_BODY, exemption_basis="Ministry site")

    with pytest.raises(InvalidCommandError, match="technology cannot be exempted"):
        partner.evaluate(findings(technology=Verdict.EXEMPT), [], decision(), today=TODAY)


def test_blank_finding_is_refused() -> None:
    partner = registered()
    blank = findings()
    blank[Criterion.TECHNOLOGY] = type(blank[Criterion.TECHNOLOGY])(Verdict.PASS, " ")

    with pytest.raises(InvalidCommandError, match="finding on technology"):
        partner.evaluate(blank, [], decision(), today=TODAY)


def test_evaluation_effective_before_the_partnership_began_is_refused() -> None:
    partner = registered()

    with pytest.raises(InvalidCommandError, match="before this partnership began"):
        partner.evaluate(findings(), [], decision(effective_date=date(2019, 1, 1)), today=TODAY)


def test_compliant_evaluation_resolves_open_warnings() -> None:
    partner = registered()
    partner.warn(
        decision(reason="Late reports"),
        deadline=NEXT_MONTH,
        today=TODAY,
        criterion=Criterion.TECHNOLOGY,
    )
    assert partner.open_warnings

    partner.evaluate(findings(), [], decision(), today=TODAY)

    event = last_event(partner)
    assert isinstance(event, Partner.Evaluated)
    assert event.resolved_warnings == [1]
    assert partner.status is Status.ACTIVE
    assert partner.open_warnings == {}


def test_non_compliant_evaluation_leaves_warnings_open() -> None:
    partner = registered()
    partner.warn(decision(), deadline=NEXT_MONTH, today=TODAY, criterion=Criterion.TECHNOLOGY)

    partner.evaluate(findings(technology=Verdict.FAIL), [], decision(), today=TODAY)

    event = last_event(partner)
    assert isinstance(event, Partner.Evaluated)
    assert event.resolved_warnings == []
    assert partner.status is Status.WARNED


def test_a_backdated_compliant_evaluation_resolves_only_warnings_in_effect_by_its_date() -> None:
    partner = Partner.register(platform(), decision(effective_date=date(2026, 6, 1)), today=TODAY)
    partner.warn(decision(effective_date=date(2026, 6, 5)), deadline=NEXT_MONTH, today=TODAY,
                 criterion=Criterion.TECHNOLOGY)  # fmt: skip
    partner.warn(decision(effective_date=date(2026, 6, 12)), deadline=NEXT_MONTH, today=TODAY,
                 criterion=Criterion.OPEN_MARKETPLACE)  # fmt: skip

    partner.evaluate(findings(), [], decision(effective_date=date(2026, 6, 8)), today=TODAY)

    event = last_event(partner)
    assert isinstance(event, Partner.Evaluated)
    assert event.resolved_warnings == [1]
    assert list(partner.open_warnings) == [2]


def test_the_latest_evaluation_is_the_latest_in_effect_not_the_latest_recorded() -> None:
    partner = Partner.register(platform(), decision(effective_date=date(2026, 6, 1)), today=TODAY)
    partner.evaluate(findings(), [], decision(effective_date=YESTERDAY), today=TODAY)

    partner.evaluate(findings(technology=Verdict.FAIL), [],
                     decision(effective_date=YESTERDAY - timedelta(days=3)), today=TODAY)  # fmt: skip

    assert partner.latest_evaluation is not None
    assert partner.latest_evaluation["outcome"] == "compliant"
