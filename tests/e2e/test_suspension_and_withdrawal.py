"""Suspension, reinstatement and a platform's own withdrawal, from the API and the CLI to the views."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.e2e.conftest import Stack, cli
from tests.e2e.helpers import evaluation, eventually, registration, visible

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("stack")]


def _registered(stack: Stack) -> str:
    with stack.client(stack.officer) as writer, stack.client() as reader:
        partner_id = str(writer.post("/partners", json=registration()).json()["partner_id"])
        eventually(visible(reader, partner_id, 1))
    return partner_id


def _in_feed(reader: httpx.Client, partner_id: str) -> str | None:
    """The partner's status in the current-partners feed (None: not listed)."""
    partners = reader.get("/feeds/current-partners.json").json()["partners"]
    return next((p["status"] for p in partners if p["partner_id"] == partner_id), None)


def test_only_a_director_suspends_and_a_suspended_partner_stays_in_the_feed(stack: Stack) -> None:
    partner_id = _registered(stack)
    because = {"reason": "Investigating fake reviews"}
    with stack.client(stack.officer) as officer, stack.client(stack.director) as director, \
            stack.client() as reader:  # fmt: skip
        refused = officer.post(f"/partners/{partner_id}/suspension", json=because)
        suspended = director.post(f"/partners/{partner_id}/suspension", json=because)
        eventually(lambda: _in_feed(reader, partner_id) == "suspended")
        row = reader.get(f"/partners/{partner_id}").json()
        listed = reader.get("/partners", params={"status": "suspended", "limit": 200}).json()
        reinstated = director.post(f"/partners/{partner_id}/reinstatement",
                                   json={"reason": "Reviews were genuine"})  # fmt: skip
        eventually(lambda: _in_feed(reader, partner_id) == "active")

    assert refused.status_code == 403
    assert suspended.status_code == reinstated.status_code == 201
    assert row["status"] == "suspended"
    assert row["suspended_on"] == suspended.json()["event"]["effective_date"]
    assert partner_id in {p["partner_id"] for p in listed["items"]}


def test_a_platform_that_leaves_is_listed_apart_from_terminations_and_nothing_follows(
    stack: Stack,
) -> None:
    partner_id = _registered(stack)
    with stack.client(stack.officer) as officer, stack.client() as reader:
        left = officer.post(f"/partners/{partner_id}/withdrawal",
                            json={"reason": "Closing its training business"})  # fmt: skip
        eventually(visible(reader, partner_id, 2))
        after = officer.post(f"/partners/{partner_id}/evaluations", json=evaluation())
        again = officer.post(f"/partners/{partner_id}/withdrawal", json={"reason": "Twice"})
        page = reader.get("/").text
        row = reader.get(f"/partners/{partner_id}").json()
        eventually(lambda: _in_feed(reader, partner_id) is None)

    assert left.status_code == 201
    assert left.json()["event"]["type"] == "Withdrawn"
    assert (row["status"], row["terminated_on"]) == ("withdrawn", None)
    assert row["withdrawal_reason"] == "Closing its training business"
    assert after.status_code == 409
    assert again.status_code == 409
    assert again.json()["type"].endswith("partner-withdrawn")
    assert "Platforms that left the programme of their own accord" in page
    assert "Closing its training business" in page


def test_directors_suspend_reinstate_and_officers_record_a_withdrawal_from_the_cli(
    stack: Stack,
) -> None:
    partner_id = _registered(stack)
    decided = ("--actor", "director.rina", "--json")

    suspended = json.loads(cli(stack.env, "suspend", partner_id, "--reason", "Audit", *decided))
    reinstated = json.loads(cli(stack.env, "reinstate", partner_id, "--reason", "Clean",
                                *decided))  # fmt: skip
    left = json.loads(cli(stack.env, "withdraw", partner_id, "--reason", "Leaving", *decided))

    assert [r["event"]["type"] for r in (suspended, reinstated, left)] == [
        "Suspended", "Reinstated", "Withdrawn",
    ]  # fmt: skip
    assert left["version"] == 4
