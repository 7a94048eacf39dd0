"""Hostile and concurrent use of the running stack: nothing lost, nothing run, nothing leaked."""

from __future__ import annotations

import uuid
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


@pytest.mark.parametrize(
    ("spelling", "status"),
    [
        ("{name}\u200b", 422),  # a zero-width space
        ("{soft}", 422),  # a soft hyphen inside
        ("\u202e{name}", 422),  # a right-to-left override
        ("{cyrillic}", 409),  # a Cyrillic a for a Latin a
        ("{upper}", 409),
    ],
)
def test_a_second_live_partnership_cannot_hide_behind_invisible_or_lookalike_letters(
    stack: Stack, spelling: str, status: int
) -> None:
    name = f"Platform Samudra {uuid.uuid4().hex[:6]}"
    variant = spelling.format(
        name=name, soft=name.replace("Samudra", "Sam\u00adudra"),
        cyrillic=name.replace("a", "\u0430", 1), upper=name.upper(),
    )  # fmt: skip
    with stack.client(stack.officer) as writer:
        first = writer.post("/partners", json=registration(name=name))

        second = writer.post("/partners", json=registration(name=variant))

    assert first.status_code == 201
    assert second.status_code == status
    assert second.headers["content-type"] == "application/problem+json"
    assert "U+" in second.json()["detail"] or "already a partner" in second.json()["detail"]


@pytest.mark.parametrize(
    "loose",
    [
        {"national_coverage": "yes"},
        {"open_marketplace": 1},
        {"technology_ready": "true"},
        {"effective_date": 0},
        {"effective_date": "2026-1-2"},
    ],
)
def test_json_values_must_have_their_own_type(stack: Stack, loose: dict[str, object]) -> None:
    with stack.client(stack.officer) as writer:
        refused = writer.post("/partners", json=registration(**loose))

    assert refused.status_code == 422
    assert refused.json()["errors"][0]["location"][-1] == next(iter(loose))


def test_an_oversized_request_header_is_refused_with_431(stack: Stack) -> None:
    with stack.client() as client:
        refused = client.get("/partners", headers={"X-Padding": "x" * 200_000})
        fine = client.get("/partners", headers={"X-Padding": "x" * 1_000})

    assert refused.status_code == 431
    assert refused.headers["content-type"] == "application/problem+json"
    assert fine.status_code == 200
