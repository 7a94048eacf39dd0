"""Builders for valid commands, so each test states only what it varies."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from registry.domain.criteria import (
    Criterion,
    CriterionFinding,
    LegalForm,
    ObligationCheck,
    Verdict,
)
from registry.domain.decisions import Decision
from registry.domain.partner import Partner
from registry.domain.platforms import Declaration, declaration
from registry.record.chain import GENESIS, canonical_json, chain_hash_of_canonical
from registry.record.messages import PublishedEvent
from registry.service.records import PublicRecord, record_of

TODAY = date(2026, 6, 15)
YESTERDAY = TODAY - timedelta(days=1)
NEXT_MONTH = TODAY + timedelta(days=30)


def unique_name(prefix: str = "Platform") -> str:
    """A platform name no other test uses, so tests can share a store."""
    return f"{prefix} {uuid.uuid4().hex[:10]}"


def platform(**overrides: Any) -> Declaration:
    """An eligible private-company platform."""
    fields: dict[str, Any] = {
        "name": unique_name(),
        "legal_form": LegalForm.PRIVATE_COMPANY,
        "national_coverage": True,
        "technology_ready": True,
        "open_marketplace": True,
    }
    fields.update(overrides)
    return declaration(**fields)


def decision(**overrides: Any) -> Decision:
    """A decision by a named officer, effective yesterday."""
    fields: dict[str, Any] = {
        "actor": "officer.siti",
        "reason": "Periodic review",
        "effective_date": YESTERDAY,
    }
    fields.update(overrides)
    return Decision(**fields)


def findings(
    verdict: Verdict = Verdict.PASS, **overrides: Verdict
) -> dict[Criterion, CriterionFinding]:
    """A finding for each of the four criteria, with some verdicts overridden."""
    return {
        c: CriterionFinding(overrides.get(c.value, verdict), f"{c.value} checked")
        for c in Criterion
    }


def obligation(met: bool = True) -> ObligationCheck:
    """One checked obligation of the agreement."""
    return ObligationCheck("Monthly sales report", met, "Reports reviewed")


def records_of(partner: Partner) -> list[PublicRecord]:
    """The public records of the partner's pending events."""
    records = []
    for event in partner.collect_events():
        assert isinstance(event, Partner.Event)
        records.append(record_of(event))
    return records


def registered(**overrides: Any) -> Partner:
    """A partner registered with the given platform details."""
    return Partner.register(platform(**overrides), decision(), today=TODAY)


def long_history(count: int, partners: int) -> Iterator[PublishedEvent]:
    """A valid, chained public record of constant breadth: the partners, then evaluations.

    Each evaluation is one evaluated record given the next partner and
    version, a new dictionary every time: running the domain for every one
    of a million events would take longer than what is measured with them.
    """
    registered_ones = [registered() for _ in range(partners)]
    registrations = [records_of(p)[0] for p in registered_ones]
    registered_ones[0].evaluate(findings(), [], decision(), today=TODAY)
    evaluation = records_of(registered_ones[0])[0]
    previous = GENESIS
    for sequence in range(1, count + 1):
        index = (sequence - 1) % partners
        if sequence <= partners:
            record = registrations[index]
        else:
            version = (sequence - 1) // partners + 1
            record = evaluation | {
                "partner_id": registrations[index]["partner_id"],
                "version": version,
            }
        body = canonical_json(record)
        previous = chain_hash_of_canonical(previous, body)
        yield PublishedEvent(record, sequence, sequence, previous, body)


# The eight platforms named by the Kompas.com report of 27 April 2020, in its order.
REPORTED = [
    "Tokopedia",
    "Ruangguru",
    "Mau Belajar Apa",
    "Bukalapak",
    "Pintaria",
    "Sekolahmu",
    "Pijar Mahir",
    "Kemnaker.go.id",
]
