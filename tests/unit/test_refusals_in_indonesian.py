"""A refusal reads in the officer's language: its sentence, its terms and its dates.

The domain keeps each refusal as an English template and the values put in
it; these tests trigger real refusals and read them as an Indonesian page
would, so a sentence or a term missing from the catalogue shows up here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from babel.messages.pofile import read_po

from registry.api.i18n import LOCALE_DIR, Words
from registry.domain.criteria import Criterion, CriterionFinding, LegalForm, Verdict
from registry.domain.exceptions import RegistryError, Term
from registry.domain.partner import Partner
from registry.service.clock import moment_in
from tests.builders import NEXT_MONTH, TODAY, decision, findings, platform, registered

INDONESIAN = Words("id", "Asia/Jakarta")
ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def _future_effective_date() -> None:
    registered().suspend(decision(effective_date=NEXT_MONTH), today=TODAY)


def _blank_reason() -> None:
    registered().suspend(decision(reason="  "), today=TODAY)


def _warning_after_termination() -> None:
    partner = registered()
    partner.terminate(decision(reason="Fraud"), today=TODAY)
    partner.warn(decision(), deadline=NEXT_MONTH, today=TODAY, criterion=Criterion.TECHNOLOGY)


def _no_coverage_nor_technology() -> None:
    Partner.register(platform(national_coverage=False, technology_ready=False), decision(),
                     today=TODAY)  # fmt: skip


def _government_body_without_exemption() -> None:
    Partner.register(platform(legal_form=LegalForm.GOVERNMENT_BODY), decision(), today=TODAY)


def _technology_exempted() -> None:
    exempted = findings(technology=Verdict.EXEMPT)
    registered().evaluate(exempted, [], decision(), today=TODAY)


def _blank_finding() -> None:
    blank = findings() | {Criterion.TECHNOLOGY: CriterionFinding(Verdict.PASS, " ")}
    registered().evaluate(blank, [], decision(), today=TODAY)


def _objection_decided_twice() -> None:
    partner = registered()
    partner.suspend(decision(), today=TODAY)
    partner.lodge_objection(partner.version, decision(), today=TODAY)
    partner.decide_objection(1, decision(), upheld=False, today=TODAY)
    partner.decide_objection(1, decision(), upheld=True, today=TODAY)


def _warning_objected_to_twice() -> None:
    partner = registered()
    partner.warn(decision(), deadline=NEXT_MONTH, today=TODAY, criterion=Criterion.TECHNOLOGY)
    partner.lodge_objection(partner.version, decision(), today=TODAY)
    partner.lodge_objection(partner.version - 1, decision(), today=TODAY)


def _invisible_character_in_a_name() -> None:
    Partner.register(platform(name="Belajar\u200bKita"), decision(), today=TODAY)


def _deadline_not_after_today() -> None:
    registered().warn(decision(), deadline=TODAY - timedelta(days=3), today=TODAY,
                      criterion=Criterion.TECHNOLOGY)  # fmt: skip


def _point_in_time_malformed() -> None:
    moment_in("yesterday", "Asia/Jakarta")


REFUSALS: dict[str, Callable[[], None]] = {
    "future effective date": _future_effective_date,
    "blank reason": _blank_reason,
    "warning after termination": _warning_after_termination,
    "no coverage nor technology": _no_coverage_nor_technology,
    "government body": _government_body_without_exemption,
    "technology exempted": _technology_exempted,
    "blank finding": _blank_finding,
    "objection decided twice": _objection_decided_twice,
    "objected to twice": _warning_objected_to_twice,
    "invisible character": _invisible_character_in_a_name,
    "deadline not after today": _deadline_not_after_today,
    "point in time": _point_in_time_malformed,
}


def _refusal(trigger: Callable[[], None]) -> RegistryError:
    with pytest.raises(RegistryError) as refused:
        trigger()
    return refused.value


@pytest.mark.parametrize("trigger", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_domain_refusal_reads_in_indonesian_with_its_terms_and_dates(
    trigger: Callable[[], None],
) -> None:
    refused = _refusal(trigger)

    said = INDONESIAN.refusal(refused)

    assert INDONESIAN.gettext(refused.template) != refused.template
    assert said != str(refused)
    terms = [v for v in refused.params.values() if isinstance(v, Term)]
    assert [t for t in terms if INDONESIAN.gettext(t) == t] == []
    assert [t for t in terms if INDONESIAN.gettext(t) not in said] == []
    assert ISO_DAY.findall(said) == []


def test_a_refusal_reads_in_english_as_the_api_gives_it() -> None:
    refused = _refusal(_future_effective_date)

    said = Words("en", "Asia/Jakarta").refusal(refused)

    assert said.startswith("The effective date 15 July 2026 is in the future")
    assert str(refused).startswith("The effective date 2026-07-15 is in the future")


def test_an_indonesian_refusal_names_the_day_with_its_month() -> None:
    said = INDONESIAN.refusal(_refusal(_future_effective_date))

    assert said == (
        "Tanggal berlaku 15 Juli 2026 ada di masa depan (hari ini 15 Juni 2026); "
        "catat keputusan setelah berlaku."
    )


def test_every_translation_keeps_the_placeholders_of_its_sentence() -> None:
    placeholder = re.compile(r"%\((\w+)\)[sr]")
    with (LOCALE_DIR / "id" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalogue = read_po(source)

    pairs = [(str(m.id), str(m.string)) for m in catalogue if m.id]

    changed = {
        said: (sorted(placeholder.findall(said)), sorted(placeholder.findall(translated)))
        for said, translated in pairs
        if sorted(placeholder.findall(said)) != sorted(placeholder.findall(translated))
    }

    assert changed == {}
