"""What the pages draw: a partner's status over time, the register by month, warnings' fates."""

from __future__ import annotations

import json
from datetime import date

from projections.audit_trail import AuditEntry
from registry.api.page_details import decided, warning_fates
from registry.api.timeline import register_by_month, status_periods
from registry.domain.criteria import Criterion
from registry.domain.partner import Partner
from tests.builders import decision, findings, platform, records_of

TODAY = date(2026, 6, 15)


def _entries(partner: Partner) -> list[AuditEntry]:
    return [
        AuditEntry(
            sequence=r["version"], position=r["version"], partner_id=r["partner_id"],
            version=r["version"], event_type=r["type"], actor=r["actor"], reason=r["reason"],
            recorded_at=r["recorded_at"], effective_date=r["effective_date"],
            body=json.dumps(r), chain_hash="0" * 64, checkpoint="",
        )
        for r in records_of(partner)
    ]  # fmt: skip


def _a_year() -> Partner:
    partner = Partner.register(platform(), decision(effective_date=date(2026, 1, 10)), today=TODAY)
    partner.warn(decision(effective_date=date(2026, 2, 1)), deadline=date(2026, 3, 1),
                 today=date(2026, 2, 1), criterion=Criterion.TECHNOLOGY)  # fmt: skip
    partner.evaluate(findings(), [], decision(effective_date=date(2026, 3, 15)), today=TODAY)
    partner.warn(decision(effective_date=date(2026, 4, 1)), deadline=date(2026, 5, 1),
                 today=date(2026, 4, 1), obligation="Monthly report")  # fmt: skip
    partner.terminate(decision(effective_date=date(2026, 6, 1)), today=TODAY)
    return partner


def test_the_status_changes_on_the_days_the_decisions_took_effect() -> None:
    periods = status_periods(_entries(_a_year()), TODAY)

    assert [(p.status, p.start.isoformat(), p.end.isoformat()) for p in periods] == [
        ("active", "2026-01-10", "2026-02-01"), ("warned", "2026-02-01", "2026-03-15"),
        ("active", "2026-03-15", "2026-04-01"), ("warned", "2026-04-01", "2026-06-01"),
        ("terminated", "2026-06-01", "2026-06-15"),
    ]  # fmt: skip
    assert periods[0].x == 0
    assert round(sum(p.width for p in periods)) == 1000


def test_the_register_by_month_counts_each_status_at_each_months_end() -> None:
    months = register_by_month(_entries(_a_year()), TODAY)

    assert [(m.end.isoformat(), m.counts) for m in months] == [
        ("2026-01-31", {"active": 1}), ("2026-02-28", {"warned": 1}),
        ("2026-03-31", {"active": 1}), ("2026-04-30", {"warned": 1}),
        ("2026-05-31", {"warned": 1}), ("2026-06-15", {"terminated": 1}),
    ]  # fmt: skip


def test_each_warning_says_what_became_of_it() -> None:
    entries = _entries(_a_year())

    fates = warning_fates(entries, decided(entries), [2], [2], TODAY)

    assert fates[1]["fate"] == "cured"
    assert fates[1]["on"] == "2026-03-15"
    assert fates[2]["fate"] == "overdue"
    assert decided(entries)[2]["criterion"] == "technology"
