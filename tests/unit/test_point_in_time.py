"""The one rule by which events combine at a point in time, pinned by a table of cases.

A partner on date D as known at T is its events effective by D and recorded
by T, applied in the order they were recorded. The history below has
backdated events on purpose: a warning recorded after an evaluation but
effective before it, and an evaluation recorded last but effective first.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest

from projections.audit_trail import AuditEntry
from projections.point_in_time import PointInTime, partner_at, register_at
from registry.domain.criteria import Criterion
from registry.domain.partner import Partner
from registry.service.records import PublicRecord
from tests.builders import decision, findings, platform, records_of

WIB = timezone(timedelta(hours=7))


def _at(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(f"2026-{day}T{hour:02d}:00:00+00:00")


def history() -> list[AuditEntry]:
    """Six events; each is recorded on the day and at the moment given beside it."""
    partner = Partner.register(platform(), decision(effective_date=date(2026, 3, 1)),
                               today=date(2026, 3, 2))  # fmt: skip
    partner.warn(decision(effective_date=date(2026, 3, 10)), deadline=date(2026, 4, 10),
                 today=date(2026, 3, 10), criterion=Criterion.TECHNOLOGY)  # fmt: skip
    partner.evaluate(findings(), [], decision(effective_date=date(2026, 3, 20)),
                     today=date(2026, 3, 25))  # fmt: skip
    partner.warn(decision(effective_date=date(2026, 3, 15)), deadline=date(2026, 5, 1),
                 today=date(2026, 4, 1), criterion=Criterion.OPEN_MARKETPLACE)  # fmt: skip
    partner.evaluate(findings(), [], decision(effective_date=date(2026, 3, 5)),
                     today=date(2026, 4, 2))  # fmt: skip
    partner.terminate(decision(effective_date=date(2026, 4, 5)), today=date(2026, 4, 20))
    recorded = [_at("03-02"), _at("03-10"), _at("03-25"), _at("04-01"), _at("04-02"), _at("04-20")]
    return [_entry(r, when) for r, when in zip(records_of(partner), recorded, strict=True)]


def _entry(record: PublicRecord, recorded_at: datetime) -> AuditEntry:
    record["recorded_at"] = recorded_at.isoformat()
    return AuditEntry(
        sequence=record["version"], position=record["version"], partner_id=record["partner_id"],
        version=record["version"], event_type=record["type"], actor=record["actor"],
        reason=record["reason"], recorded_at=record["recorded_at"],
        effective_date=record["effective_date"], body=json.dumps(record), chain_hash="",
    )  # fmt: skip


CASES = [
    # as_of, known_at: status, open warnings, latest evaluation (effective date)
    (None, None, "terminated", [2], "2026-03-20"),
    ("03-05", None, "active", [], "2026-03-05"),
    ("03-12", None, "warned", [1], "2026-03-05"),
    ("03-16", None, "warned", [1, 2], "2026-03-05"),
    ("03-21", None, "warned", [2], "2026-03-20"),
    (None, _at("03-26", 0), "active", [], "2026-03-20"),
    ("03-16", _at("03-26", 0), "warned", [1], None),
    ("04-10", datetime(2026, 4, 10, 0, 0, tzinfo=WIB), "warned", [2], "2026-03-20"),
    ("04-06", None, "terminated", [2], "2026-03-20"),
    ("04-06", _at("04-19", 0), "warned", [2], "2026-03-20"),
]


@pytest.mark.parametrize(("as_of", "known_at", "status", "warnings", "evaluated"), CASES)
def test_a_partner_at_a_point_in_time_folds_what_counts_then_in_recorded_order(
    as_of: str | None, known_at: datetime | None, status: str, warnings: list[int],
    evaluated: str | None,
) -> None:  # fmt: skip
    entries = history()
    point = PointInTime(date.fromisoformat(f"2026-{as_of}") if as_of else None, known_at)

    standing = partner_at(entries, point)

    assert standing is not None
    assert standing.row.status == status
    assert [w["warning_number"] for w in standing.row.open_warnings] == warnings
    assert standing.row.latest_evaluated_on == evaluated


def test_nothing_recorded_by_the_moment_means_no_partner_yet() -> None:
    entries = history()

    assert partner_at(entries, PointInTime(known_at=_at("03-02", 8))) is None
    assert partner_at(entries, PointInTime(as_of=date(2026, 2, 28))) is None
    assert register_at(entries, PointInTime(known_at=_at("03-02", 8))) == []


def test_a_moment_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        PointInTime(known_at=datetime(2026, 3, 2, 9, 0))


def test_the_register_at_a_point_lists_each_partner_once_with_the_events_that_count() -> None:
    entries = history()

    [standing] = register_at(entries, PointInTime(date(2026, 3, 16), _at("04-01", 12)))

    assert [e.version for e in standing.entries] == [1, 2, 4]
    assert standing.row.version == 4
    assert standing.row.updated_at == _at("04-01").isoformat()
