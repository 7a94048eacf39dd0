"""The register at a point in time, over HTTP, on the page and from the CLI.

``as_of`` counts what was in effect by a day, ``known_at`` what was recorded
by a moment; a warning recorded after the moment must not show at it.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import Stack, cli
from tests.e2e.helpers import eventually, registration, visible, warning

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("stack")]


def _warned_after_a_moment(stack: Stack, name: str) -> tuple[str, datetime]:
    """A partner registered, then a moment, then warned (both visible)."""
    with stack.client(stack.officer) as writer, stack.client() as reader:
        partner_id = str(
            writer.post("/partners", json=registration(name=name)).json()["partner_id"]
        )
        eventually(visible(reader, partner_id, 1))
        moment = datetime.now(UTC)
        time.sleep(0.05)
        writer.post(f"/partners/{partner_id}/warnings", json=warning())
        eventually(visible(reader, partner_id, 2))
    return partner_id, moment


def test_a_partner_known_at_a_moment_before_its_warning_is_still_active(stack: Stack) -> None:
    partner_id, moment = _warned_after_a_moment(stack, "Known At Platform")

    with stack.client() as reader:
        now = reader.get(f"/partners/{partner_id}").json()
        then = reader.get(f"/partners/{partner_id}", params={"known_at": moment.isoformat()})
        before = reader.get(f"/partners/{partner_id}",
                            params={"known_at": (moment - timedelta(days=1)).isoformat()})  # fmt: skip
        listed = reader.get("/partners", params={"q": "Known At Platform",
                                                 "known_at": moment.isoformat()}).json()  # fmt: skip

    assert now["status"] == "warned"
    assert then.status_code == 200
    assert then.json()["status"] == "active"
    assert then.json()["version"] == 1
    assert "ETag" not in then.headers
    assert before.status_code == 404
    assert [(p["partner_id"], p["status"]) for p in listed["items"]] == [(partner_id, "active")]
    assert datetime.fromisoformat(listed["known_at"]) == moment


def test_malformed_points_in_time_are_refused_with_the_forms_that_work(stack: Stack) -> None:
    with stack.client() as reader:
        unix = reader.get("/partners", params={"as_of": "0"})
        soon = reader.get("/partners", params={"known_at": "soon"})
        no_day = reader.get("/partners", params={"as_of": "2026-02-30"})

    for answer in (unix, soon, no_day):
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
    assert "YYYY-MM-DD" in unix.json()["detail"]
    assert "YYYY-MM-DDTHH:MM" in soon.json()["detail"]
    assert "not a day of the calendar" in no_day.json()["detail"]


def test_the_page_and_the_cli_answer_the_same_point_in_time(stack: Stack) -> None:
    partner_id, moment = _warned_after_a_moment(stack, "Known At Page Platform")
    local = moment.astimezone(ZoneInfo("Asia/Jakarta")).replace(tzinfo=None)
    next_minute = (local + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")

    with stack.client() as reader:
        page = reader.get("/", params={"known_at": moment.isoformat()}).text
    listed = json.loads(cli(stack.env, "list", "--known-at", moment.isoformat(), "--json"))
    shown = json.loads(cli(stack.env, "show", partner_id, "--known-at", moment.isoformat(),
                           "--json"))  # fmt: skip
    later = json.loads(cli(stack.env, "show", partner_id, "--known-at", next_minute, "--json"))

    assert "as recorded by" in page
    assert f'value="{local:%Y-%m-%d %H:%M}"' in page
    assert {r["partner_id"]: r["status"] for r in listed}[partner_id] == "active"
    assert shown["partner"]["status"] == "active"
    assert [e["type"] for e in shown["events"]] == ["Registered"]
    assert later["partner"]["status"] == "warned"
