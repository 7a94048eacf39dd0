"""Concurrent commands: one winner, a clear conflict for the loser, nothing half-done."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from registry.domain.claims import PlatformClaim
from registry.domain.commands import RegisterPartner, WarnPartner
from registry.domain.criteria import Criterion
from registry.domain.exceptions import ConcurrencyConflictError, DuplicatePartnerError
from registry.domain.partner import Partner
from registry.service.application import PartnerRegistry, Recorded
from tests.builders import NEXT_MONTH, decision, platform, unique_name
from tests.conftest import open_registry

pytestmark = pytest.mark.postgres


def warning(partner_id: object) -> WarnPartner:
    return WarnPartner(
        partner_id,  # type: ignore[arg-type]
        decision(reason="Late reports"),
        deadline=NEXT_MONTH,
        criterion=Criterion.TECHNOLOGY,
    )


def test_writer_acting_on_an_outdated_copy_gets_a_conflict_and_records_nothing(
    database_url: str,
) -> None:
    first = open_registry(database_url)
    stale = open_registry(
        database_url, AGGREGATE_CACHE_MAXSIZE="100", AGGREGATE_CACHE_FASTFORWARD="n"
    )
    partner_id = first.register(RegisterPartner(platform(), decision())).partner_id
    stale.get(partner_id)
    first.warn(warning(partner_id))

    with pytest.raises(ConcurrencyConflictError, match="changed by another command"):
        stale.warn(warning(partner_id))

    history = first.history(partner_id)
    assert [e["type"] for e in history] == ["Registered", "Warned"]
    first.close()
    stale.close()


def race(count: int, action: Callable[[], Recorded]) -> list[Recorded | Exception]:
    """Start the same action on many threads at once and collect what each got."""
    barrier = threading.Barrier(count)

    def attempt() -> Recorded | Exception:
        barrier.wait()
        try:
            return action()
        except (ConcurrencyConflictError, DuplicatePartnerError) as error:
            return error

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda _: attempt(), range(count)))


def test_racing_warnings_are_each_recorded_once_or_told_of_the_conflict(
    registry: PartnerRegistry,
) -> None:
    partner_id = registry.register(RegisterPartner(platform(), decision())).partner_id

    outcomes = race(8, lambda: registry.warn(warning(partner_id)))

    recorded = [o for o in outcomes if isinstance(o, Recorded)]
    refused = [o for o in outcomes if not isinstance(o, Recorded)]
    assert recorded
    assert all(isinstance(o, ConcurrencyConflictError) for o in refused)
    history = registry.history(partner_id)
    assert len(history) == 1 + len(recorded)
    assert sorted(r.version for r in recorded) == [e["version"] for e in history[1:]]


def test_racing_registrations_of_one_platform_record_exactly_one(
    registry: PartnerRegistry,
) -> None:
    name = unique_name("Racing")

    outcomes = race(8, lambda: registry.register(RegisterPartner(platform(name=name), decision())))

    winners = [o for o in outcomes if isinstance(o, Recorded)]
    assert len(winners) == 1
    assert all(isinstance(o, DuplicatePartnerError) for o in outcomes if o not in winners)
    notifications = registry.recorder.select_notifications(None, 1000)
    events = [registry.mapper.to_domain_event(n) for n in notifications]
    registered = [
        e for e in events if isinstance(e, Partner.Registered) and e.platform["name"] == name
    ]
    claims = [e for e in events if isinstance(e, PlatformClaim.Claimed)]
    assert len(registered) == 1
    assert sorted(c.kind for c in claims) == ["lookalike_name", "name"]
    assert {c.partner_id for c in claims} == {winners[0].partner_id}
