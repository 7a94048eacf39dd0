"""Corrections of earlier events, from the API and the CLI to the register, feeds and pages."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.builders import unique_name
from tests.e2e.conftest import Stack, cli
from tests.e2e.helpers import eventually, registration, visible, warning

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("stack")]


def test_a_wrong_deadline_corrected_shows_corrected_everywhere_with_the_original_kept(
    stack: Stack,
) -> None:
    with stack.client(stack.officer) as officer, stack.client() as reader:
        partner_id = officer.post("/partners", json=registration()).json()["partner_id"]
        officer.post(f"/partners/{partner_id}/warnings", json=warning(deadline="2099-01-31"))
        corrected = officer.post(f"/partners/{partner_id}/events/2/correction", json={
            "changes": {"deadline": "2099-03-31"}, "reason": "Typed January for March",
        })  # fmt: skip
        eventually(visible(reader, partner_id, 3))
        row = reader.get(f"/partners/{partner_id}").json()
        events = reader.get(f"/partners/{partner_id}/events").json()
        eventually(lambda: "2099-03-31" in reader.get("/feeds/current-partners.json").text)
        page = reader.get(f"/register/{partner_id}").text
        register = reader.get("/").text

    assert corrected.status_code == 201
    assert corrected.json()["event"]["data"]["previous"] == {"deadline": "2099-01-31"}
    assert row["open_warnings"][0]["deadline"] == "2099-03-31"
    assert row["corrections"][0]["reason"] == "Typed January for March"
    assert events[1]["event"]["data"]["deadline"] == "2099-01-31"
    assert "because Typed January for March" in page
    assert 'href="#event-2"' in page
    assert "corrected on" in register


def test_a_correction_breaking_a_rule_is_refused_and_records_nothing(stack: Stack) -> None:
    taken = unique_name("Taken")
    with stack.client(stack.officer) as officer, stack.client() as anonymous:
        officer.post("/partners", json=registration(name=taken))
        partner_id = officer.post("/partners", json=registration()).json()["partner_id"]
        officer.post(f"/partners/{partner_id}/warnings", json=warning(deadline="2099-01-31"))
        early = officer.post(f"/partners/{partner_id}/events/2/correction",
                             json={"changes": {"deadline": "2000-01-01"}, "reason": "x"})  # fmt: skip
        duplicate = officer.post(f"/partners/{partner_id}/events/1/correction",
                                 json={"changes": {"name": taken}, "reason": "x"})  # fmt: skip
        unknown = officer.post(f"/partners/{partner_id}/events/1/correction",
                               json={"changes": {"legal_form": "other"}, "reason": "x"})  # fmt: skip
        nowhere = officer.post(f"/partners/{partner_id}/events/9/correction",
                               json={"changes": {"reason": "y"}, "reason": "x"})  # fmt: skip
        no_token = anonymous.post(f"/partners/{partner_id}/events/1/correction",
                                  json={"changes": {"reason": "y"}, "reason": "x"})  # fmt: skip
        version = officer.get(f"/partners/{partner_id}").json()["version"]

    assert early.status_code == 422
    assert early.json()["type"].endswith("invalid-correction")
    assert duplicate.status_code == 409
    assert unknown.json()["type"].endswith("invalid-request")
    assert nowhere.status_code == 422
    assert "no event 9" in nowhere.json()["detail"]
    assert no_token.status_code == 401
    assert version == 2


def test_the_cli_corrects_a_registration_number_and_refuses_a_malformed_field(
    stack: Stack,
) -> None:
    with stack.client(stack.officer) as officer:
        partner_id = officer.post(
            "/partners", json=registration(registration_number=unique_name("AHU"))
        ).json()["partner_id"]
    right = unique_name("AHU")

    corrected = json.loads(cli(stack.env, "correct", partner_id, "1", "--set",
                               f"registration_number={right}", "--actor", "officer.siti",
                               "--reason", "Digits swapped", "--json"))  # fmt: skip

    malformed = subprocess.run(
        [sys.executable, "-m", "registry", "correct", partner_id, "1", "--set",
         "registration_number", "--actor", "officer.siti", "--reason", "x"],
        env=stack.env, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip

    assert corrected["event"]["data"]["changes"] == {"registration_number": right}
    assert malformed.returncode == 2
    assert "not FIELD=VALUE" in malformed.stderr
