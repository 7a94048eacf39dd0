"""The rule book over HTTP and the CLI, and evaluations citing it in the register and feeds."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Stack, cli
from tests.e2e.helpers import CRITERIA, evaluation, eventually, registration, visible

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("stack")]


def _rule_set(identifier: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "identifier": identifier, "title": f"Rules {identifier}", "in_force_from": "2026-01-01",
        "citations": {c: f"{identifier} art. {i}" for i, c in enumerate(CRITERIA, start=1)},
        "reason": "Implementing regulation amended",
    }  # fmt: skip
    return body | overrides


def test_a_director_records_rules_and_later_evaluations_cite_them_everywhere(
    stack: Stack,
) -> None:
    identifier = f"rules-{uuid.uuid4().hex[:8]}"
    with stack.client(stack.officer) as officer, stack.client(stack.director) as director, \
            stack.client() as reader:  # fmt: skip
        refused = officer.post("/rule-sets", json=_rule_set(identifier))
        recorded = director.post("/rule-sets", json=_rule_set(identifier))
        partial = director.post("/rule-sets", json=_rule_set("partial", citations={}))
        listed = reader.get("/rule-sets").json()
        partner_id = officer.post("/partners", json=registration()).json()["partner_id"]
        officer.post(f"/partners/{partner_id}/evaluations", json=evaluation())
        eventually(visible(reader, partner_id, 2))
        row = reader.get(f"/partners/{partner_id}").json()
        page = reader.get(f"/register/{partner_id}").text
        eventually(lambda: _feed_version(reader, partner_id) == 2)
        feed = reader.get("/feeds/current-partners.json").json()["partners"]

    assert refused.status_code == 403
    assert recorded.status_code == 201
    assert recorded.json()["citations"]["technology"] == f"{identifier} art. 3"
    assert partial.status_code == 422
    assert "no entry for" in partial.json()["detail"]
    assert identifier in [r["identifier"] for r in listed]
    evaluated_on = row["latest_evaluated_on"]
    in_force = max((r for r in listed if r["in_force_from"] <= evaluated_on),
                   key=lambda r: r["in_force_from"])  # fmt: skip
    assert row["latest_rule_set"] == in_force["identifier"]
    cited = row["latest_criteria"]["technology"]["citation"]
    assert cited == in_force["citations"]["technology"]
    mine = next(p for p in feed if p["partner_id"] == partner_id)
    assert mine["latest_criteria"]["technology"]["citation"] == cited
    assert f"rules applied: {in_force['identifier']}" in page


def _feed_version(reader: httpx.Client, partner_id: str) -> int | None:
    partners = reader.get("/feeds/current-partners.json").json()["partners"]
    return next((p["version"] for p in partners if p["partner_id"] == partner_id), None)


def test_the_cli_lists_and_records_rules_and_refuses_an_unknown_criterion(stack: Stack) -> None:
    identifier = f"cli-rules-{uuid.uuid4().hex[:8]}"
    citations = [f"--citation={c}=" for c in CRITERIA]

    recorded = json.loads(cli(stack.env, "rules", "record", "--id", identifier, "--title", "T",
                              "--in-force-from", "1999-01-01", *citations, "--actor",
                              "director.rina", "--reason", "Back-filled", "--json"))  # fmt: skip
    listed = json.loads(cli(stack.env, "rules", "list", "--json"))
    unknown = subprocess.run(
        [sys.executable, "-m", "registry", "rules", "record", "--id", "x", "--title", "T",
         "--in-force-from", "1999-02-01", "--citation", "price=Art. 9", "--actor", "d",
         "--reason", "r"],
        env=stack.env, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip

    assert recorded["citations"] == dict.fromkeys(CRITERIA)
    assert identifier in [r["identifier"] for r in listed]
    assert unknown.returncode == 2
    assert "'price' is not a criterion" in unknown.stderr
