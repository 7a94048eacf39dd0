"""Public reads over HTTP: the register, history, audit trail, feeds, operations, the page."""

from __future__ import annotations

import json
import re

import pytest

from registry.record.chain import GENESIS, chain_hash
from tests.e2e.conftest import Stack
from tests.e2e.helpers import eventually, registration, visible, warning
from tests.kafka_helpers import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("stack")]

REPORTED = {
    "Tokopedia", "Ruangguru", "Mau Belajar Apa", "Bukalapak", "Pintaria", "Sekolahmu",
    "Pijar Mahir", "Kemnaker.go.id",
}  # fmt: skip


def registered_and_visible(stack: Stack, **overrides: object) -> str:
    with stack.client(stack.officer) as writer, stack.client() as reader:
        partner_id = str(
            writer.post("/partners", json=registration(**overrides)).json()["partner_id"]
        )
        eventually(visible(reader, partner_id, 1))
    return partner_id


def test_the_register_on_the_report_date_is_the_eight_platforms(stack: Stack) -> None:
    with stack.client() as client:
        on_the_day = client.get("/partners", params={"as_of": "2020-04-27", "limit": 200}).json()
        day_before = client.get("/partners", params={"as_of": "2020-04-26"}).json()

    assert {p["name"] for p in on_the_day["items"]} == REPORTED
    assert on_the_day["total"] == 8
    assert on_the_day["as_of"] == "2020-04-27"
    assert day_before["total"] == 0


def test_the_register_filters_searches_and_pages(stack: Stack) -> None:
    warned_id = registered_and_visible(stack, name="Filterable Warned Platform")
    with stack.client(stack.officer) as writer, stack.client() as reader:
        writer.post(f"/partners/{warned_id}/warnings", json=warning())
        eventually(visible(reader, warned_id, 2))

        found = reader.get("/partners", params={"q": "filterable WARNED"}).json()
        warned = reader.get("/partners", params={"status": "warned", "limit": 200}).json()
        first = reader.get("/partners", params={"limit": 3}).json()
        second = reader.get("/partners", params={"limit": 3, "offset": 3}).json()
        bad = reader.get("/partners", params={"status": "sleeping", "limit": 0})

    assert [p["partner_id"] for p in found["items"]] == [warned_id]
    assert warned_id in [p["partner_id"] for p in warned["items"]]
    assert {p["status"] for p in warned["items"]} == {"warned"}
    assert len(first["items"]) == len(second["items"]) == 3
    assert not {p["partner_id"] for p in first["items"]} & {
        p["partner_id"] for p in second["items"]
    }
    assert first["total"] == second["total"] >= 9
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"


def test_a_partner_its_etag_and_its_history(stack: Stack) -> None:
    partner_id = registered_and_visible(stack, name="History Platform")

    with stack.client() as client:
        partner = client.get(f"/partners/{partner_id}")
        history = client.get(f"/partners/{partner_id}/events").json()
        missing = client.get("/partners/00000000-0000-4000-8000-000000000000")
        missing_history = client.get("/partners/00000000-0000-4000-8000-000000000000/events")

    assert partner.json()["name"] == "History Platform"
    assert partner.headers["etag"] == '"1"'
    assert [e["event_type"] for e in history] == ["Registered"]
    assert history[0]["actor"] == "officer.e2e"
    assert (missing.status_code, missing_history.status_code) == (404, 404)


def test_the_audit_trail_pages_with_chain_hashes_that_recompute(stack: Stack) -> None:
    entries = []
    with stack.client() as client:
        after = 0
        while True:
            page = client.get("/audit-trail", params={"after": after, "limit": 5}).json()
            entries += page["items"]
            if page["next_after"] is None:
                break
            after = page["next_after"]
        head = page["chain_head"]

    previous = GENESIS
    for number, entry in enumerate(entries, start=1):
        assert entry["sequence"] == number
        previous = chain_hash(previous, entry["event"])
        assert entry["chain_hash"] == previous
    assert head == {"sequence": len(entries), "chain_hash": previous}


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("current-partners.json", "application/json"),
        ("current-partners.csv", "text/csv; charset=utf-8"),
        ("changes.atom", "application/atom+xml"),
        ("current-partners.schema.json", "application/schema+json"),
        ("current-partners.csv-metadata.json", "application/csvm+json"),
    ],
)
def test_feeds_answer_conditional_requests_with_304(
    stack: Stack, name: str, media_type: str
) -> None:
    with stack.client() as client:
        full = client.get(f"/feeds/{name}")
        by_etag = client.get(f"/feeds/{name}", headers={"If-None-Match": full.headers["etag"]})
        by_date = client.get(
            f"/feeds/{name}", headers={"If-Modified-Since": full.headers["last-modified"]}
        )
        other = client.get(f"/feeds/{name}", headers={"If-None-Match": '"something-else"'})

    assert full.status_code == 200
    assert full.headers["content-type"] == media_type
    assert (by_etag.status_code, by_etag.content) == (304, b"")
    assert by_date.status_code == 304
    assert other.status_code == 200


def test_health_readiness_metrics_and_the_openapi_document(stack: Stack) -> None:
    # Given something applied, and measured (the health checks run once a second)
    registered_and_visible(stack)
    with stack.client() as client:
        eventually(lambda: "newest_applied_event_age_seconds " in client.get("/metrics").text)

    with stack.client() as client:
        health = client.get("/healthz")
        live = client.get("/livez")
        ready = client.get("/readyz")
        metrics = client.get("/metrics").text
        openapi = client.get("/openapi.json").json()
        docs = client.get("/docs")

    assert health.json() == live.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json()["reasons"] == []
    assert ready.json()["checks"]["broker"] == "ok"
    assert ready.json()["checks"]["views"]["read_models_behind_events"] >= 0
    assert set(ready.json()["checks"]["parts"]) == {"relay", "project", "publish-feed"}
    assert (
        'partner_registry_http_requests_total{method="GET",route="/healthz",status="200"}'
        in metrics
    )
    assert "partner_registry_events_recorded_total" in metrics
    for gauge in ("projection_lag_events", "projection_lag_seconds", "feed_lag_events",
                  "feed_lag_seconds", "newest_applied_event_age_seconds", "ready"):  # fmt: skip
        assert f"partner_registry_{gauge} " in metrics
    assert 'partner_registry_part_starts_total{part="project"}' in metrics
    assert "/partners/{partner_id}/termination" in openapi["paths"]
    assert openapi["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert docs.status_code == 200


def test_the_page_shows_the_register_and_escapes_what_it_shows(stack: Stack) -> None:
    partner_id = registered_and_visible(stack, name="<script>alert('x')</script> Academy")

    with stack.client() as client:
        page = client.get("/").text
        history = client.get(f"/register/{partner_id}").text
        old = client.get("/", params={"as_of": "2020-04-27"}).text
        bad_date = client.get("/", params={"as_of": "soon"})
        unknown = client.get("/register/00000000-0000-4000-8000-000000000000")
        proof_link = re.search(r'href="(/log/proof/inclusion\?index=(\d+))"', history)
        assert proof_link is not None
        wait_for(lambda: client.get(proof_link.group(1)).status_code == 200)
        proof = client.get(proof_link.group(1)).json()

    assert proof["index"] == int(proof_link.group(2))
    assert "Tokopedia" in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Academy" in page
    assert "<script>alert" not in page + history
    assert "Registered" in history
    assert "Partners on 27 April 2020 (8)" in old
    assert bad_date.status_code == 400
    assert "is not a date" in bad_date.text
    assert unknown.status_code == 404


def test_no_token_ever_appears_in_the_stacks_logs(stack: Stack) -> None:
    with stack.client(stack.officer) as client:
        client.post("/partners", json=registration())
        client.post("/partners", json={"garbage": True})
    with stack.client(stack.revoked) as client:
        client.post("/partners", json=registration())

    logs = "".join(path.read_text() for path in stack.log_dir.glob("*.log"))
    assert logs
    for token in (stack.officer, stack.director, stack.revoked):
        assert token not in logs
        assert token[4:] not in logs
    ours = [p for p in stack.log_dir.glob("*.log") if p.name != "broker.log"]
    assert all(json.loads(line) for p in ours for line in p.read_text().splitlines())
