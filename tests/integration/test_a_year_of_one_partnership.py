"""A year of one partnership, recorded on a moving clock, read back at ten points in time.

Registered, evaluated, warned, its deadline extended (recorded late), overdue,
suspended, an objection lodged, reinstated, the objection upheld, the breach
cured, its details amended, an event corrected, and finally withdrawn. The
register built from the store is then asked about ten (as_of, known_at)
pairs, and each answer is checked against the model written beside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

import pytest
from pydantic import SecretStr

from consumers.read_side.rebuild import store_history
from projections.current_partners import PartnerRow, overdue_warnings
from projections.point_in_time import PointInTime
from projections.storage.store import ReadModelStore
from registry.config import Settings, persistence_env
from registry.domain.commands import (
    AmendDetails,
    CorrectEvent,
    DecideObjection,
    EvaluatePartner,
    ExtendWarningDeadline,
    LodgeObjection,
    RegisterPartner,
    ReinstatePartner,
    SuspendPartner,
    WarnPartner,
    WithdrawPartner,
)
from registry.domain.criteria import Criterion
from registry.domain.decisions import Decision
from registry.service.application import PartnerRegistry, Recorded
from tests.builders import findings, platform

pytestmark = pytest.mark.postgres


class Clock:
    """The registry's 'today', moved by the scenario as the year goes by."""

    def __init__(self) -> None:
        self.day = date(2025, 1, 6)

    def __call__(self) -> date:
        return self.day


@dataclass
class Year:
    """The partner's id and the moment each step was recorded (real time, in order)."""

    partner_id: UUID
    recorded: dict[str, datetime]


def _on(clock: Clock, day: str, actor: str = "officer.siti", reason: str = "Decided") -> Decision:
    clock.day = date.fromisoformat(day)
    return Decision(actor=actor, reason=reason, effective_date=clock.day)


def _played(registry: PartnerRegistry, clock: Clock) -> Year:
    """The year, step by step; each step's recorded_at is kept for the known_at questions."""
    steps: dict[str, Recorded] = {}
    declared = platform(name="Belajar Setahun", registration_number="AHU-1")
    pid = registry.register(RegisterPartner(declared, _on(clock, "2025-01-06"))).partner_id
    steps["evaluated"] = registry.evaluate(EvaluatePartner(pid, findings(), [],
                                                           _on(clock, "2025-02-03")))  # fmt: skip
    steps["warned"] = registry.warn(WarnPartner(
        pid, _on(clock, "2025-03-03", reason="Integration down"), deadline=date(2025, 4, 30),
        criterion=Criterion.TECHNOLOGY,
    ))  # fmt: skip
    steps["suspended"] = registry.suspend(SuspendPartner(
        pid, _on(clock, "2025-06-16", actor="director.rina", reason="Still down")))  # fmt: skip
    steps["extended"] = registry.extend_deadline(ExtendWarningDeadline(pid, 1, date(2025, 5, 31), Decision(
        "officer.siti", "Extension granted in April, filed late", date(2025, 4, 25))))  # fmt: skip
    steps["objected"] = registry.lodge_objection(LodgeObjection(
        pid, steps["suspended"].version, _on(clock, "2025-06-20", reason="Vendor outage")))  # fmt: skip
    steps["reinstated"] = registry.reinstate(ReinstatePartner(
        pid, _on(clock, "2025-07-01", actor="director.rina", reason="Back up")))  # fmt: skip
    steps["upheld"] = registry.decide_objection(DecideObjection(
        pid, 1, True, _on(clock, "2025-07-10", actor="director.rina", reason="Outage proven")))  # fmt: skip
    steps["cured"] = registry.evaluate(EvaluatePartner(pid, findings(), [],
                                                       _on(clock, "2025-08-04")))  # fmt: skip
    steps["amended"] = registry.amend_details(AmendDetails(
        pid, {"name": "Belajar Sepanjang Tahun"}, _on(clock, "2025-09-01", reason="Rebranded")))  # fmt: skip
    clock.day = date(2025, 10, 6)
    steps["corrected"] = registry.correct(CorrectEvent(
        pid, 1, {"registration_number": "AHU-10"}, "officer.siti", "A digit was left out"))  # fmt: skip
    steps["withdrawn"] = registry.withdraw(WithdrawPartner(
        pid, _on(clock, "2025-12-15", reason="Leaving the programme")))  # fmt: skip
    return Year(pid, {k: datetime.fromisoformat(r.event["recorded_at"]) for k, r in steps.items()})


@dataclass(frozen=True)
class Expected:
    """The model of the register at one point: what a reader must be told."""

    status: str | None
    name: str = "Belajar Setahun"
    registration_number: str = "AHU-1"
    deadlines: tuple[str, ...] = ()
    overdue: tuple[int, ...] = ()
    objections: tuple[str | None, ...] = ()


# (as_of, known_at: the step after which the question is asked, or None for now), expected.
CASES: list[tuple[str, str | None, Expected]] = [
    ("2025-01-05", None, Expected(None)),
    ("2025-02-10", None, Expected("active", registration_number="AHU-10")),
    ("2025-02-10", "withdrawn", Expected("active", registration_number="AHU-10")),
    ("2025-02-10", "amended", Expected("active")),
    ("2025-05-15", "suspended", Expected("warned", deadlines=("2025-04-30",), overdue=(1,))),
    ("2025-05-15", "extended", Expected("warned", deadlines=("2025-05-31",))),
    (
        "2025-06-25",
        "objected",
        Expected("suspended", deadlines=("2025-05-31",), overdue=(1,), objections=(None,)),
    ),
    (
        "2025-07-15",
        "upheld",
        Expected("warned", deadlines=("2025-05-31",), overdue=(1,), objections=("upheld",)),
    ),
    (
        "2025-09-30",
        "corrected",
        Expected(
            "active",
            name="Belajar Sepanjang Tahun",
            registration_number="AHU-10",
            objections=("upheld",),
        ),
    ),
    (
        "2025-12-31",
        None,
        Expected(
            "withdrawn",
            name="Belajar Sepanjang Tahun",
            registration_number="AHU-10",
            objections=("upheld",),
        ),
    ),
]


@pytest.fixture
def year(database_url: str, read_models: ReadModelStore) -> Iterator[Year]:
    clock = Clock()
    settings = Settings(database_url=SecretStr(database_url))
    registry = PartnerRegistry(env=persistence_env(settings), today=clock)
    try:
        played = _played(registry, clock)
        read_models.rebuild(store_history(registry), {})
        yield played
    finally:
        registry.close()


def test_the_register_answers_ten_questions_about_a_year_as_the_model_says(
    year: Year, read_models: ReadModelStore
) -> None:
    answers = []
    for as_of, after, _ in CASES:
        point = PointInTime(date.fromisoformat(as_of), year.recorded[after] if after else None)
        standing = read_models.partner_at(str(year.partner_id), point)
        listed = [r for r in read_models.register_at(point) if r.partner_id == str(year.partner_id)]
        answers.append(_seen(standing.row if standing else None, point.as_of))
        assert [r.version for r in listed] == ([standing.row.version] if standing else [])

    assert answers == [expected for _, _, expected in CASES]


def _seen(row: PartnerRow | None, day: date | None) -> Expected:
    """What the register tells a reader, in the model's terms."""
    if row is None or day is None:
        return Expected(None)
    return Expected(
        status=row.status,
        name=row.name,
        registration_number=row.registration_number or "",
        deadlines=tuple(w["deadline"] for w in row.open_warnings),
        overdue=tuple(overdue_warnings(row, day)),
        objections=tuple(o["outcome"] for o in row.objections),
    )
