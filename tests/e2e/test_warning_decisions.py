"""A warning withdrawn or given more time, from the API and the CLI to every public view."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Stack, cli
from tests.e2e.helpers import eventually, registration, visible, warning

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("stack")]


def _warned_twice(stack: Stack) -> str:
    with stack.client(stack.officer) as writer, stack.client() as reader:
        partner_id = str(writer.post("/partners", json=registration()).json()["partner_id"])
        writer.post(f"/partners/{partner_id}/warnings", json=warning(deadline="2099-01-31"))
        writer.post(f"/partners/{partner_id}/warnings",
                    json=warning(criterion="open_marketplace", deadline="2099-02-28"))  # fmt: skip
        eventually(visible(reader, partner_id, 3))
    return partner_id


def _fed(reader: httpx.Client, partner_id: str) -> dict[str, Any] | None:
    feed = reader.get("/feeds/current-partners.json").json()
    return next((p for p in feed["partners"] if p["partner_id"] == partner_id), None)


def test_withdrawal_and_extension_reach_the_register_the_feed_and_the_page(stack: Stack) -> None:
    partner_id = _warned_twice(stack)
    with stack.client(stack.officer) as writer, stack.client() as reader:
        extended = writer.post(f"/partners/{partner_id}/warnings/1/deadline-extension",
                               json={"deadline": "2099-06-30", "reason": "Audit delayed"})  # fmt: skip
        withdrawn = writer.post(f"/partners/{partner_id}/warnings/2/withdrawal",
                                json={"reason": "Issued to the wrong platform"})  # fmt: skip
        eventually(visible(reader, partner_id, 5))
        row = reader.get(f"/partners/{partner_id}").json()
        eventually(lambda: (_fed(reader, partner_id) or {}).get("version") == 5)
        fed = _fed(reader, partner_id)
        history = reader.get(f"/register/{partner_id}").text

    assert extended.status_code == withdrawn.status_code == 201
    assert extended.json()["event"]["data"] == {
        "warning_number": 1, "deadline": "2099-06-30", "previous_deadline": "2099-01-31",
    }  # fmt: skip
    assert withdrawn.json()["event"]["type"] == "WarningWithdrawn"
    assert [(w["warning_number"], w["deadline"]) for w in row["open_warnings"]] == [
        (1, "2099-06-30")
    ]
    assert row["status"] == "warned"
    assert fed is not None
    assert [(w["warning_number"], w["deadline"]) for w in fed["open_warnings"]] == [
        (1, "2099-06-30")
    ]
    assert "Warning withdrawn" in history
    assert "Deadline extended" in history


def test_refusals_name_the_rule_and_change_nothing(stack: Stack) -> None:
    partner_id = _warned_twice(stack)
    with stack.client(stack.officer) as writer, stack.client() as anonymous:
        earlier = writer.post(f"/partners/{partner_id}/warnings/1/deadline-extension",
                              json={"deadline": "2098-12-31", "reason": "Shorter"})  # fmt: skip
        unknown = writer.post(f"/partners/{partner_id}/warnings/9/withdrawal",
                              json={"reason": "No such warning"})  # fmt: skip
        zero = writer.post(f"/partners/{partner_id}/warnings/0/withdrawal", json={"reason": "x"})
        unsigned = anonymous.post(f"/partners/{partner_id}/warnings/1/withdrawal",
                                  json={"reason": "Not signed in"})  # fmt: skip
        after = anonymous.get(f"/partners/{partner_id}").json()

    assert earlier.status_code == 422
    assert "can only be extended" in earlier.json()["detail"]
    assert unknown.status_code == 422
    assert "was never issued" in unknown.json()["detail"]
    assert zero.status_code == 422
    assert unsigned.status_code == 401
    assert after["version"] == 3


def test_officers_withdraw_and_extend_from_the_command_line(stack: Stack) -> None:
    partner_id = _warned_twice(stack)

    extended = json.loads(cli(stack.env, "extend-deadline", partner_id, "1", "--deadline",
                              "2099-03-31", "--actor", "officer.siti", "--reason", "More time",
                              "--json"))  # fmt: skip
    withdrawn = json.loads(cli(stack.env, "withdraw-warning", partner_id, "2", "--actor",
                               "officer.siti", "--reason", "Issued in error", "--json"))  # fmt: skip

    assert extended["event"]["type"] == "WarningDeadlineExtended"
    assert extended["event"]["data"]["previous_deadline"] == "2099-01-31"
    assert (withdrawn["event"]["type"], withdrawn["version"]) == ("WarningWithdrawn", 5)


def test_a_warning_past_its_deadline_is_overdue_without_anyone_recording_it(stack: Stack) -> None:
    partner_id = _warned_twice(stack)
    overdue: dict[str, str | int] = {"status": "overdue", "limit": 200}

    with stack.client() as reader:
        on_the_day = reader.get(f"/partners/{partner_id}", params={"as_of": "2099-01-31"}).json()
        day_after = reader.get(f"/partners/{partner_id}", params={"as_of": "2099-02-01"}).json()
        listed = reader.get("/partners", params=overdue | {"as_of": "2099-02-01"}).json()
        today = reader.get("/partners", params=overdue).json()
        page = reader.get("/", params={"as_of": "2099-02-01"}).text

    assert on_the_day["overdue_warnings"] == []
    assert (day_after["overdue_warnings"], day_after["status"]) == ([1], "warned")
    assert partner_id in {p["partner_id"] for p in listed["items"]}
    assert partner_id not in {p["partner_id"] for p in today["items"]}
    assert '<strong class="overdue">overdue</strong>' in page


def test_a_warning_resolved_on_evidence_closes_over_the_api_and_the_cli(stack: Stack) -> None:
    partner_id = _warned_twice(stack)
    with stack.client(stack.officer) as writer, stack.client() as reader:
        resolved = writer.post(f"/partners/{partner_id}/warnings/1/resolution",
                               json={"evidence": "Uptime report", "reason": "Remedied"})  # fmt: skip
        blank = writer.post(f"/partners/{partner_id}/warnings/2/resolution",
                            json={"evidence": "", "reason": "No evidence"})  # fmt: skip
        by_cli = json.loads(cli(stack.env, "resolve-warning", partner_id, "2", "--evidence",
                                "Marketplace reopened", "--actor", "officer.siti", "--reason",
                                "Remedied", "--json"))  # fmt: skip
        eventually(visible(reader, partner_id, 5))
        row = reader.get(f"/partners/{partner_id}").json()

    assert resolved.status_code == 201
    assert resolved.json()["event"]["data"] == {"warning_number": 1, "evidence": "Uptime report"}
    assert blank.status_code == 422
    assert by_cli["event"]["type"] == "WarningResolved"
    assert (row["status"], row["open_warnings"]) == ("active", [])
