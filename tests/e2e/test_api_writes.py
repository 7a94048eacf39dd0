"""Writes over HTTP: authentication, roles, the register's rules, concurrency, bad input."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.e2e.conftest import Stack
from tests.e2e.helpers import evaluation, eventually, registration, visible, warning

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("stack")]


def register(stack: Stack, **overrides: object) -> dict[str, object]:
    with stack.client(stack.officer) as client:
        response = client.post("/partners", json=registration(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def assert_problem(response: httpx.Response, status: int, *, containing: str = "") -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["type"].startswith("urn:partner-registry:problem:")
    assert containing in problem["detail"]
    assert "Traceback" not in response.text


def test_an_officer_registers_a_partner_and_is_recorded_as_the_actor(stack: Stack) -> None:
    with stack.client(stack.officer) as client:
        response = client.post("/partners", json=registration(name="Contoh Belajar"))

    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"/partners/{body['partner_id']}"
    assert response.headers["etag"] == '"1"'
    assert body["version"] == 1
    assert body["event"]["type"] == "Registered"
    assert body["event"]["actor"] == "officer.e2e"
    assert body["event"]["data"]["name"] == "Contoh Belajar"


def test_the_body_cannot_name_the_actor(stack: Stack) -> None:
    with stack.client(stack.officer) as client:
        response = client.post("/partners", json=registration(actor="someone.else"))

    assert_problem(response, 422, containing="actor")


@pytest.mark.parametrize(
    ("token", "status", "detail"),
    [(None, 401, "Send a bearer token"), ("prt_not_a_real_token", 401, "unknown or revoked"),
     ("revoked", 401, "unknown or revoked")],
)  # fmt: skip
def test_writes_without_a_valid_token_are_refused(
    stack: Stack, token: str | None, status: int, detail: str
) -> None:
    secret = stack.revoked if token == "revoked" else token
    with stack.client(secret) as client:
        response = client.post("/partners", json=registration())

    assert_problem(response, status, containing=detail)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_an_officer_may_not_terminate_but_a_director_may(stack: Stack) -> None:
    partner = register(stack)
    path = f"/partners/{partner['partner_id']}/termination"

    with stack.client(stack.officer) as officer:
        refused = officer.post(path, json={"reason": "Fraud"})
    with stack.client(stack.director) as director:
        done = director.post(path, json={"reason": "Fraud"})

    assert_problem(refused, 403, containing="officer may not terminate")
    assert done.status_code == 201
    assert done.json()["event"]["actor"] == "director.e2e"
    assert done.json()["version"] == 2


def test_evaluation_and_warning_are_recorded_in_order(stack: Stack) -> None:
    partner = register(stack)
    base = f"/partners/{partner['partner_id']}"

    with stack.client(stack.officer) as client:
        evaluated = client.post(f"{base}/evaluations", json=evaluation())
        warned = client.post(f"{base}/warnings", json=warning(), headers={"If-Match": '"2"'})

    assert (evaluated.status_code, evaluated.json()["version"]) == (201, 2)
    assert evaluated.json()["event"]["data"]["outcome"] == "compliant"
    assert (warned.status_code, warned.json()["version"]) == (201, 3)
    assert warned.headers["etag"] == '"3"'


@pytest.mark.parametrize(
    ("path", "body", "status", "detail"),
    [
        ("/partners", registration(open_marketplace=False), 422, "training-institution register"),
        ("/partners", registration(legal_form="government_body"), 422, "Record an exemption"),
        ("{partner}/evaluations", evaluation(criteria={"technology": {"verdict": "pass", "finding": "ok"}}), 422, "no result for"),
        ("{partner}/warnings", warning(deadline="2020-01-01"), 422, "must be after today"),
        ("{partner}/warnings", warning(obligation="Reports"), 422, "exactly one"),
        ("{partner}/evaluations", evaluation(effective_date="2999-01-01"), 422, "in the future"),
    ],
)  # fmt: skip
def test_decisions_breaking_a_rule_get_422_with_the_reason(
    stack: Stack, path: str, body: dict[str, object], status: int, detail: str
) -> None:
    partner = register(stack)

    with stack.client(stack.officer) as client:
        response = client.post(path.format(partner=f"/partners/{partner['partner_id']}"), json=body)

    assert_problem(response, status, containing=detail)


def test_a_duplicate_platform_gets_409(stack: Stack) -> None:
    register(stack, name="Duplicate Academy")

    with stack.client(stack.officer) as client:
        response = client.post("/partners", json=registration(name="duplicate  ACADEMY"))

    assert_problem(response, 409, containing="already a partner")


def test_a_terminated_partner_refuses_further_decisions_with_409(stack: Stack) -> None:
    partner = register(stack)
    with stack.client(stack.director) as director:
        director.post(f"/partners/{partner['partner_id']}/termination", json={"reason": "Ended"})

    with stack.client(stack.officer) as client:
        response = client.post(f"/partners/{partner['partner_id']}/warnings", json=warning())

    assert_problem(response, 409, containing="termination is final")


def test_a_stale_if_match_gets_412_and_a_malformed_one_400(stack: Stack) -> None:
    partner = register(stack)
    path = f"/partners/{partner['partner_id']}/evaluations"

    with stack.client(stack.officer) as client:
        stale = client.post(path, json=evaluation(), headers={"If-Match": '"7"'})
        malformed = client.post(path, json=evaluation(), headers={"If-Match": "yesterday"})

    assert_problem(stale, 412, containing="version 1, not 7")
    assert_problem(malformed, 400, containing="If-Match")


def test_concurrent_decisions_on_one_version_record_exactly_one(stack: Stack) -> None:
    partner = register(stack)
    path = f"/partners/{partner['partner_id']}/warnings"

    def attempt(_: int) -> int:
        with stack.client(stack.officer) as client:
            return client.post(path, json=warning(), headers={"If-Match": '"1"'}).status_code

    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(attempt, range(10)))

    assert statuses.count(201) == 1
    assert set(statuses) <= {201, 409, 412}


def test_unknown_partner_gets_404(stack: Stack) -> None:
    with stack.client(stack.officer) as client:
        response = client.post(
            "/partners/00000000-0000-4000-8000-000000000000/warnings", json=warning()
        )

    assert_problem(response, 404, containing="No partner has the id")


def test_malformed_json_gets_400_and_wrong_types_422(stack: Stack) -> None:
    with stack.client(stack.officer) as client:
        malformed = client.post(
            "/partners", content=b'{"name": ', headers={"content-type": "application/json"}
        )
        wrong = client.post("/partners", json=registration(national_coverage="maybe"))
        bad_id = client.post("/partners/not-a-uuid/warnings", json=warning())

    assert_problem(malformed, 400, containing="not valid JSON")
    assert_problem(wrong, 422, containing="national_coverage")
    assert wrong.json()["errors"][0]["location"] == ["body", "national_coverage"]
    assert_problem(bad_id, 422, containing="partner_id")


def test_an_oversized_body_gets_413_with_or_without_a_length(stack: Stack) -> None:
    huge = b'{"name": "' + b"x" * 200_000 + b'"}'

    def chunks() -> Iterator[bytes]:
        yield huge[:100_000]
        yield huge[100_000:]

    with stack.client(stack.officer) as client:
        declared = client.post(
            "/partners", content=huge, headers={"content-type": "application/json"}
        )
        streamed = client.post(
            "/partners", content=chunks(), headers={"content-type": "application/json"}
        )

    assert_problem(declared, 413, containing="larger than")
    assert_problem(streamed, 413, containing="larger than")


def test_a_write_is_visible_in_the_register_and_the_feed_within_a_second(stack: Stack) -> None:
    delays = []
    with stack.client() as reader:
        for _ in range(5):
            partner = register(stack)
            delays.append(eventually(visible(reader, str(partner["partner_id"]), 1)))
        feed_delay = eventually(
            lambda: str(partner["partner_id"]) in reader.get("/feeds/current-partners.json").text
        )

    assert statistics.median(delays) < 1.0, delays
    assert feed_delay < 1.0


def test_a_client_following_the_location_of_each_write_reads_what_it_wrote(stack: Stack) -> None:
    # given an officer who reads each partner back as soon as it is written
    pairs = []
    with stack.client(stack.officer) as client:
        for _ in range(5):
            # when a registration and then an evaluation are each followed by one read
            partner, *registered = write_then_read(client, "/partners", registration())
            _, *evaluated = write_then_read(client, f"{partner}/evaluations", evaluation())
            pairs += [tuple(registered), tuple(evaluated)]

    # then each first read already held the write: it waited for the read model
    assert pairs == [(1, 1), (2, 2)] * 5


def write_then_read(client: httpx.Client, path: str, body: object) -> tuple[str, int, int | None]:
    """Where the write says the partner is, the version written, the version read there."""
    written = client.post(path, json=body)
    location = written.headers["location"]
    answer = client.get(location)
    seen = answer.json()["version"] if answer.status_code == 200 else None
    return location, written.json()["version"], seen
