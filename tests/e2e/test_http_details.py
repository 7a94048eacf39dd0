"""HTTP as browsers, caches and careful clients expect it, each found wanting once."""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import Stack
from tests.e2e.helpers import evaluation, registration

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("stack")]

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.mark.parametrize("path", ["/", "/feeds/current-partners.json", "/partners", "/docs"])
def test_head_answers_wherever_get_does_with_the_same_headers_and_no_body(
    stack: Stack, path: str
) -> None:
    with stack.client() as client:
        got = client.get(path)
        head = client.head(path)

    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]


def test_a_405_names_every_method_the_path_answers(stack: Stack) -> None:
    with stack.client() as client:
        refused = client.delete("/partners")

    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, HEAD, POST"


def test_an_unknown_feed_is_not_found(stack: Stack) -> None:
    with stack.client() as client:
        missing = client.get("/feeds/nope")

    assert missing.status_code == 404
    assert missing.json()["type"].endswith("feed-not-found")


def test_a_body_that_is_not_json_is_refused_as_an_unsupported_media_type(stack: Stack) -> None:
    with stack.client(stack.officer) as officer:
        refused = officer.post("/partners", content=b"name=x",
                               headers={"Content-Type": "text/plain"})  # fmt: skip

    assert refused.status_code == 415
    assert refused.headers["accept-post"] == "application/json"


@pytest.mark.parametrize("as_of", ["0", "1700000000", "2026-W01-1", "20260101"])
def test_a_date_is_only_ever_yyyy_mm_dd(stack: Stack, as_of: str) -> None:
    with stack.client() as client:
        listed = client.get("/partners", params={"as_of": as_of})
        page = client.get("/", params={"as_of": as_of})

    assert listed.status_code == 422
    assert page.status_code == 400


def test_a_weak_entity_tag_never_matches_for_a_write(stack: Stack) -> None:
    with stack.client(stack.officer) as officer:
        partner_id = officer.post("/partners", json=registration()).json()["partner_id"]
        weak = officer.post(f"/partners/{partner_id}/evaluations", json=evaluation(),
                            headers={"If-Match": 'W/"1"'})  # fmt: skip
        strong = officer.post(f"/partners/{partner_id}/evaluations", json=evaluation(),
                              headers={"If-Match": '"1"'})  # fmt: skip

    assert weak.status_code == 412
    assert weak.json()["type"].endswith("weak-if-match")
    assert strong.status_code == 201


def test_the_location_of_a_write_answers_that_write_at_once(stack: Stack) -> None:
    with stack.client(stack.officer) as officer, stack.client() as reader:
        for _ in range(5):
            created = officer.post("/partners", json=registration())
            fresh = reader.get(created.headers["location"])
            evaluated = officer.post(f"{created.headers['location']}/evaluations",
                                     json=evaluation())  # fmt: skip
            started = time.monotonic()
            after = reader.get(evaluated.headers["location"])
            waited = time.monotonic() - started

            assert (fresh.status_code, fresh.json()["version"]) == (200, 1)
            assert (after.status_code, after.json()["version"]) == (200, 2)
            assert after.headers["etag"] == '"2"'
            assert waited < 2.0


def test_a_browser_gets_an_html_error_page_and_an_api_client_problem_json(stack: Stack) -> None:
    with stack.client() as client:
        browser = client.get("/partners/not-a-uuid", headers=BROWSER)
        api = client.get("/partners/not-a-uuid")
        page = client.get("/register/not-a-uuid", headers=BROWSER)

    assert browser.status_code == api.status_code == 422
    assert browser.headers["content-type"].startswith("text/html")
    assert "<h1>Invalid request</h1>" in browser.text
    assert api.headers["content-type"] == "application/problem+json"
    assert page.status_code == 404
    assert "<title>Not found · partner register</title>" in page.text


def test_the_api_documentation_is_served_whole_from_the_registry(stack: Stack) -> None:
    with stack.client() as client:
        docs = client.get("/docs").text
        script = client.get("/docs-assets/swagger-ui-bundle.js")
        style = client.get("/docs-assets/swagger-ui.css")

    assert "/docs-assets/swagger-ui-bundle.js" in docs
    assert "cdn" not in docs.lower()
    assert script.status_code == style.status_code == 200
    assert "javascript" in script.headers["content-type"]


def test_atom_entries_link_to_the_readable_history(stack: Stack) -> None:
    with stack.client() as client:
        atom = client.get("/feeds/changes.atom").text

    assert "/register/" in atom
    assert "/partners/" not in atom
