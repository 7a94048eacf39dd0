"""Hostile and concurrent use of the running stack: nothing lost, nothing run, nothing leaked."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.conftest import Stack
from tests.e2e.helpers import eventually, registration, visible, warning

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("stack")]

HOSTILE_NAMES = [
    "Robert'); DROP TABLE rm_partners; --",
    "<img src=x onerror=alert(1)> Academy",
    "\"quoted\" & 'single' ; -- comment",
    "Ümlaut Σ 学习 🎓 Platform",
]


def test_twenty_writers_on_one_partner_lose_no_update(stack: Stack) -> None:
    with stack.client(stack.officer) as client:
        partner_id = client.post("/partners", json=registration()).json()["partner_id"]

    def attempt(number: int) -> int:
        headers = {"If-Match": '"1"'} if number % 2 else {}
        with stack.client(stack.officer) as writer:
            return writer.post(
                f"/partners/{partner_id}/warnings", json=warning(reason=f"breach {number}"),
                headers=headers,
            ).status_code  # fmt: skip

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(attempt, range(20)))

    accepted = statuses.count(201)
    assert accepted >= 1
    assert set(statuses) <= {201, 409, 412}
    with stack.client() as reader:
        eventually(visible(reader, partner_id, 1 + accepted))
        history = reader.get(f"/partners/{partner_id}/events").json()
    assert [e["version"] for e in history] == list(range(1, accepted + 2))
    assert len({e["reason"] for e in history[1:]}) == accepted


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_injection_shaped_names_are_stored_and_shown_verbatim_and_escaped(
    stack: Stack, name: str
) -> None:
    with stack.client(stack.officer) as writer, stack.client() as reader:
        recorded = writer.post("/partners", json=registration(name=name))
        partner_id = recorded.json()["partner_id"]
        eventually(visible(reader, partner_id, 1))

        stored = reader.get(f"/partners/{partner_id}").json()["name"]
        page = reader.get(f"/register/{partner_id}").text
        still_there = reader.get("/partners", params={"limit": 1}).status_code

    assert recorded.status_code == 201
    assert stored == name
    assert "<img src=x" not in page
    assert "&lt;img" in page or "<img" not in name
    assert still_there == 200
