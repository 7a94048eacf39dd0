"""Objections to a termination, from the API and the CLI to the register and the feeds."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest

from tests.e2e.conftest import Stack, cli
from tests.e2e.helpers import eventually, registration, visible

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("stack")]


def _terminated(stack: Stack) -> str:
    with stack.client(stack.officer) as officer, stack.client(stack.director) as director:
        partner_id = str(officer.post("/partners", json=registration()).json()["partner_id"])
        director.post(f"/partners/{partner_id}/termination", json={"reason": "Fake reviews"})
    return partner_id


def _pending(reader: httpx.Client, partner_id: str) -> str | None:
    lines = csv.DictReader(io.StringIO(reader.get("/feeds/current-partners.csv").text))
    return next((r["pending_objections"] for r in lines if r["partner_id"] == partner_id), None)


def test_an_upheld_objection_brings_a_terminated_partner_back_into_every_view(
    stack: Stack,
) -> None:
    partner_id = _terminated(stack)
    grounds = {"against_version": 2, "reason": "The reviews were genuine"}
    with stack.client(stack.officer) as officer, stack.client(stack.director) as director, \
            stack.client() as reader:  # fmt: skip
        lodged = officer.post(f"/partners/{partner_id}/objections", json=grounds)
        eventually(visible(reader, partner_id, 3))
        pending = reader.get(f"/partners/{partner_id}").json()
        page = reader.get("/").text
        refused = officer.post(f"/partners/{partner_id}/objections/1/decision",
                               json={"outcome": "upheld", "reason": "x"})  # fmt: skip
        upheld = director.post(f"/partners/{partner_id}/objections/1/decision",
                               json={"outcome": "upheld", "reason": "Evidence accepted"})  # fmt: skip
        eventually(lambda: _pending(reader, partner_id) == "0")
        restored = reader.get(f"/partners/{partner_id}").json()
        history = reader.get(f"/register/{partner_id}").text

    assert lodged.status_code == upheld.status_code == 201
    assert pending["status"] == "terminated"
    assert pending["objections"][0]["outcome"] is None
    assert "objection pending since" in page
    assert refused.status_code == 403
    assert upheld.json()["event"]["data"] == {
        "objection_number": 1, "outcome": "upheld", "lifted": "termination",
    }  # fmt: skip
    assert (restored["status"], restored["terminated_on"]) == ("active", None)
    assert restored["objections"][0]["decision_reason"] == "Evidence accepted"
    assert "The reviews were genuine" in history
    assert "upheld on" in history


def test_objections_out_of_time_or_against_the_wrong_event_are_refused(stack: Stack) -> None:
    partner_id = _terminated(stack)
    with stack.client(stack.officer) as officer:
        registration_event = officer.post(f"/partners/{partner_id}/objections",
                                          json={"against_version": 1, "reason": "x"})  # fmt: skip
        never = officer.post(f"/partners/{partner_id}/objections",
                             json={"against_version": 0, "reason": "x"})  # fmt: skip
        early = officer.post(f"/partners/{partner_id}/objections", json={
            "against_version": 2, "reason": "x", "effective_date": "2020-01-01",
        })  # fmt: skip

    assert registration_event.status_code == never.status_code == early.status_code == 422
    assert registration_event.json()["type"].endswith("invalid-objection")
    assert "only those can be objected to" in registration_event.json()["detail"]
    assert never.json()["type"].endswith("invalid-request")


def test_the_cli_lodges_and_a_director_dismisses_an_objection(stack: Stack) -> None:
    partner_id = _terminated(stack)

    lodged = json.loads(cli(stack.env, "lodge-objection", partner_id, "2", "--actor",
                            "officer.siti", "--reason", "Grounds", "--json"))  # fmt: skip
    dismissed = json.loads(cli(stack.env, "decide-objection", partner_id, "1", "--dismissed",
                               "--actor", "director.rina", "--reason", "No new evidence",
                               "--json"))  # fmt: skip

    assert lodged["event"]["data"]["against_type"] == "Terminated"
    assert dismissed["event"]["data"] == {
        "objection_number": 1, "outcome": "dismissed", "lifted": None,
    }  # fmt: skip
