"""Rule sets: each version of the criteria, and evaluations citing the one in force."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from projections.current_partners import apply
from registry.domain.criteria import Criterion
from registry.domain.exceptions import InvalidCommandError
from registry.domain.partner import Partner
from registry.domain.rules import RuleBook, RuleSet
from tests.builders import TODAY, YESTERDAY, decision, findings, records_of, registered

FIRST_DAY = date(2020, 4, 1)


def _rules(identifier: str = "perpres-36-2020", begins: date = FIRST_DAY, **cites: str) -> RuleSet:
    citations: dict[Criterion, str | None] = dict.fromkeys(Criterion)
    citations |= {Criterion(k): v for k, v in cites.items()}
    return RuleSet(identifier, f"Rules {identifier}", begins, citations)


def _book(*rule_sets: RuleSet) -> RuleBook:
    book = RuleBook()
    for rules in rule_sets:
        book.record(rules, decision(effective_date=TODAY), today=TODAY)
    return book


def test_the_rule_set_in_force_is_the_latest_begun_by_the_day() -> None:
    amended = FIRST_DAY + timedelta(days=90)
    book = _book(_rules("first"), _rules("amended", amended))

    assert book.in_force_on(FIRST_DAY - timedelta(days=1)) is None
    assert book.in_force_on(FIRST_DAY)["identifier"] == "first"  # type: ignore[index]
    assert book.in_force_on(amended - timedelta(days=1))["identifier"] == "first"  # type: ignore[index]
    assert book.in_force_on(amended)["identifier"] == "amended"  # type: ignore[index]


@pytest.mark.parametrize(
    ("second", "refusal"),
    [
        (_rules("FIRST", FIRST_DAY + timedelta(days=5)), "already recorded"),
        (_rules("other", FIRST_DAY), "two rule sets cannot both begin on one day"),
        (RuleSet("partial", "Partial", TODAY, {Criterion.TECHNOLOGY: "Art. 1"}), "no entry for"),
        (_rules(" ", TODAY), "must not be blank"),
    ],
)
def test_a_rule_set_that_clashes_or_leaves_out_a_criterion_is_refused(
    second: RuleSet, refusal: str
) -> None:
    book = _book(_rules("first"))

    with pytest.raises(InvalidCommandError, match=refusal):
        book.record(second, decision(effective_date=TODAY), today=TODAY)

    assert list(book.rule_sets) == ["first"]


def test_an_evaluation_names_the_rules_in_force_on_its_date_and_cites_them() -> None:
    book = _book(_rules("first", technology="Art. 4(2)"))
    partner = registered()

    partner.evaluate(findings(), [], decision(), today=TODAY, rules=book.in_force_on(YESTERDAY))

    event = partner.collect_events()[-1]
    assert isinstance(event, Partner.Evaluated)
    assert event.rule_set == {"identifier": "first", "title": "Rules first",
                              "in_force_from": FIRST_DAY.isoformat()}  # fmt: skip
    assert event.criteria["technology"]["citation"] == "Art. 4(2)"
    assert event.criteria["legal_entity"]["citation"] is None


def test_the_register_row_shows_the_latest_evaluation_criterion_by_criterion() -> None:
    book = _book(_rules("first", open_marketplace="Art. 5"))
    partner = registered()
    partner.evaluate(findings(), [], decision(), today=TODAY, rules=book.in_force_on(YESTERDAY))
    registration, evaluation = records_of(partner)

    row = apply(apply(None, registration, 1), evaluation, 2)

    assert row.latest_rule_set == "first"
    assert row.latest_criteria["open_marketplace"] == {
        "verdict": "pass", "finding": "open_marketplace checked", "citation": "Art. 5",
    }  # fmt: skip
