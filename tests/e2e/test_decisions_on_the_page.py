"""The whole decision on the public page: what each evaluation and warning said and became."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import Stack
from tests.e2e.helpers import CRITERIA, eventually, registration, visible, warning

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("stack")]


def test_a_partners_page_shows_each_verdict_finding_obligation_and_what_became_of_warnings(
    stack: Stack,
) -> None:
    failing = {c: {"verdict": "pass", "finding": f"{c} seen in March"} for c in CRITERIA}
    failing["technology"] = {"verdict": "fail", "finding": "API down since 1 March"}
    with stack.client(stack.officer) as officer, stack.client(stack.director) as director, \
            stack.client() as reader:  # fmt: skip
        pid = officer.post("/partners", json=registration(effective_date="2025-01-06")).json()[
            "partner_id"
        ]
        officer.post(f"/partners/{pid}/evaluations", json={
            "criteria": failing, "reason": "Quarterly review", "effective_date": "2025-03-03",
            "obligations": [{"obligation": "Monthly report", "met": False, "finding": "Missing"}],
        })  # fmt: skip
        officer.post(f"/partners/{pid}/warnings", json=warning(deadline="2099-01-31"))
        officer.post(f"/partners/{pid}/warnings", json=warning(criterion=None,
                     obligation="Monthly report", deadline="2099-02-28"))  # fmt: skip
        officer.post(f"/partners/{pid}/warnings/2/resolution",
                     json={"evidence": "Report filed", "reason": "Remedied"})  # fmt: skip
        director.post(f"/partners/{pid}/termination", json={"reason": "API never restored"})
        eventually(visible(reader, pid, 6))
        page = reader.get(f"/register/{pid}").text
        front = reader.get("/").text
        audit = reader.get("/audit").text

    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "technology: fail · API down since 1 March" in text
    assert "Monthly report: not met · Missing" in text
    assert "Warning #1 about technology; remedy by 31 January 2099." in text
    assert "Warning #2 about Monthly report; remedy by 28 February 2099." in text
    assert "Resolved on" in text
    assert "Terminated" in text
    assert "API never restored" in text
    assert '<svg viewBox="0 0 1000 40"' in page
    assert "active from 6 January 2025 to" in text
    assert "terminated from" in text
    assert "Partners by status, month by month" in front
    assert "<rect" in front
    assert "Verified up to entry" in audit
    assert f"/register/{pid}#event-" in audit
