"""Amended details, from the API and the CLI to the register, the feeds and the page."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.builders import unique_name
from tests.e2e.conftest import Stack, cli
from tests.e2e.helpers import eventually, registration, visible

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("stack")]


def test_an_officer_amends_details_and_every_view_shows_them(stack: Stack) -> None:
    old_name, new_name = unique_name("Old"), unique_name("Renamed")
    body = registration(name=old_name, website="https://old.id")
    with stack.client(stack.officer) as officer, stack.client() as reader:
        partner_id = officer.post("/partners", json=body).json()["partner_id"]
        amended = officer.post(f"/partners/{partner_id}/amendments", json={
            "name": new_name, "legal_name": "PT Baru", "website": None, "reason": "Rebranded",
        })  # fmt: skip
        eventually(visible(reader, partner_id, 2))
        row = reader.get(f"/partners/{partner_id}").json()
        eventually(lambda: new_name in reader.get("/feeds/current-partners.csv").text)
        eventually(lambda: new_name in reader.get("/feeds/current-partners.json").text)
        feed = reader.get("/feeds/current-partners.json").json()["partners"]
        lines = csv.DictReader(io.StringIO(reader.get("/feeds/current-partners.csv").text))
        page = reader.get(f"/register/{partner_id}").text

    assert amended.status_code == 201
    assert amended.json()["event"]["data"] == {
        "changes": {"legal_name": "PT Baru", "name": new_name, "website": None},
        "previous": {"legal_name": None, "name": old_name, "website": "https://old.id"},
    }
    assert (row["name"], row["legal_name"], row["website"]) == (new_name, "PT Baru", None)
    assert next(p for p in feed if p["partner_id"] == partner_id)["legal_name"] == "PT Baru"
    assert next(r for r in lines if r["partner_id"] == partner_id)["legal_name"] == "PT Baru"
    assert "PT Baru" in page
    assert new_name in page


def test_amending_is_refused_clearly_and_records_nothing(stack: Stack) -> None:
    with stack.client(stack.officer) as officer, stack.client() as anonymous:
        taken = officer.post("/partners", json=registration()).json()
        partner_id = officer.post("/partners", json=registration()).json()["partner_id"]
        unknown = officer.post(f"/partners/{partner_id}/amendments",
                               json={"legal_form": "other", "reason": "x"})  # fmt: skip
        nothing = officer.post(f"/partners/{partner_id}/amendments", json={"reason": "x"})
        duplicate = officer.post(f"/partners/{partner_id}/amendments",
                                 json={"name": taken["event"]["data"]["name"], "reason": "x"})  # fmt: skip
        no_token = anonymous.post(f"/partners/{partner_id}/amendments",
                                  json={"website": "https://x.id", "reason": "x"})  # fmt: skip

    assert (unknown.status_code, nothing.status_code) == (422, 422)
    assert "changes none" in nothing.json()["detail"]
    assert duplicate.status_code == 409
    assert "already a partner" in duplicate.json()["detail"]
    assert no_token.status_code == 401
    assert unknown.headers["content-type"].startswith("application/problem+json")


def test_the_cli_amends_and_clears_details(stack: Stack) -> None:
    with stack.client(stack.officer) as officer:
        partner_id = officer.post(
            "/partners", json=registration(commission_terms="10%", website="https://a.id")
        ).json()["partner_id"]

    amended = json.loads(cli(stack.env, "amend", partner_id, "--website", "https://b.id",
                             "--clear", "commission_terms", "--actor", "officer.siti",
                             "--reason", "New terms", "--json"))  # fmt: skip

    assert amended["event"]["data"]["changes"] == {
        "commission_terms": None, "website": "https://b.id",
    }  # fmt: skip
