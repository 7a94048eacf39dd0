"""The seed: the register of 27 April 2020, recorded once, inventing nothing."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from registry.domain.commands import EvaluatePartner, RecordRuleSet
from registry.domain.criteria import Criterion
from registry.domain.partner import Status
from registry.domain.rules import RuleSet
from registry.service.application import PartnerRegistry, Recorded
from registry.service.seed import SEED_ACTOR, seed
from tests.builders import REPORTED, YESTERDAY, decision, findings

pytestmark = pytest.mark.postgres


def test_seed_records_the_eight_reported_platforms_as_they_stood(
    registry: PartnerRegistry,
) -> None:
    report = seed(registry)

    partners = registry.list_partners()
    assert report.registered == REPORTED
    assert [p.name for p in partners] == REPORTED
    assert {p.status for p in partners} == {Status.ACTIVE}
    assert {p.registered_on for p in partners} == {date(2020, 4, 27)}
    assert all(p.latest_evaluation is None and not p.open_warnings for p in partners)
    assert all(p.platform["registration_number"] is None for p in partners)


def test_seed_records_the_ministry_site_as_an_exemption_and_nothing_else_as_one(
    registry: PartnerRegistry,
) -> None:
    seed(registry)

    exempt = [p for p in registry.list_partners() if p.platform["exemption_basis"] is not None]

    assert [(p.name, p.platform["legal_form"]) for p in exempt] == [
        ("Kemnaker.go.id", "government_body")
    ]
    assert "Ministry of Manpower" in (exempt[0].platform["exemption_basis"] or "")


def test_seed_events_are_attributed_to_the_named_system_actor(
    registry: PartnerRegistry,
) -> None:
    seed(registry)

    histories = [registry.history(p.id) for p in registry.list_partners()]

    assert all([e["type"] for e in h] == ["Registered"] for h in histories)
    assert {h[0]["actor"] for h in histories} == {SEED_ACTOR}
    assert all("27 April 2020" in h[0]["reason"] for h in histories)


def test_running_the_seed_twice_adds_nothing(registry: PartnerRegistry) -> None:
    seed(registry)
    position = registry.recorder.max_notification_id()

    again = seed(registry)

    assert again.registered == []
    assert again.already_present == REPORTED
    assert registry.recorder.max_notification_id() == position


def test_seed_records_the_first_rules_naming_their_source_and_citing_no_article(
    registry: PartnerRegistry,
) -> None:
    report = seed(registry)

    book = registry.rule_book()
    (rules,) = book.rule_sets.values()
    assert report.rules_recorded
    assert rules["in_force_from"] == date(2020, 4, 27)
    assert "27 April 2020" in rules["title"]
    assert set(rules["citations"]) == {c.value for c in Criterion}
    assert set(rules["citations"].values()) == {None}
    assert seed(registry).rules_recorded is False


def test_an_evaluation_cites_the_rules_in_force_on_its_effective_date(
    registry: PartnerRegistry,
) -> None:
    seed(registry)
    amended = RuleSet("amended-rules", "Amended rules", YESTERDAY,
                      {c: f"Article {i}" for i, c in enumerate(Criterion, start=1)})  # fmt: skip
    registry.record_rule_set(RecordRuleSet(amended, decision(actor="director.rina")))
    partner = registry.list_partners()[0].id

    before = registry.evaluate(EvaluatePartner(partner, findings(), [],
                                               decision(effective_date=date(2021, 1, 4))))  # fmt: skip
    after = registry.evaluate(EvaluatePartner(partner, findings(), [], decision()))

    first, second = _data(before), _data(after)
    assert first["rule_set"]["identifier"] == "pmo-statement-2020-04-27"
    assert first["criteria"]["technology"]["citation"] is None
    assert second["rule_set"]["identifier"] == "amended-rules"
    assert second["criteria"]["technology"]["citation"] == "Article 3"


def _data(recorded: Recorded) -> Any:
    """The recorded event's data, read as plain JSON."""
    return json.loads(json.dumps(recorded.event["data"]))
