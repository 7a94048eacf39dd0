"""A person reads the register in a real browser (Debian's Chromium, headless, no JavaScript)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import Stack
from tests.e2e.helpers import evaluation, eventually, registration, visible, warning

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("stack")]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    yield context.new_page()
    context.close()


def test_a_reader_sees_the_register_goes_back_to_a_date_and_opens_a_history(
    stack: Stack, page: Page
) -> None:
    page.goto(f"{stack.url}/")

    assert page.get_by_role("heading", level=1).inner_text() == "Kartu Prakerja partner platforms"
    names = page.locator("table").first.locator("tbody tr td:first-child").all_inner_texts()
    assert {"Tokopedia", "Kemnaker.go.id", "Pijar Mahir"} <= set(names)
    assert (
        page.get_by_role("link", name="Atom (changes)").get_attribute("href")
        == "/feeds/changes.atom"
    )

    page.get_by_label("Show the register as it stood at the end of").fill("2020-04-27")
    page.get_by_role("button", name="Show").click()

    assert page.locator("caption").first.inner_text() == "Partners on 27 April 2020 (8)"
    assert "as_of=2020-04-27" in page.url
    page.get_by_role("link", name="Kemnaker.go.id").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Kemnaker.go.id"
    assert "exemption" in page.locator("dl").inner_text().lower()
    history = page.locator("table tbody tr").all_inner_texts()
    assert len(history) == 1
    assert "Registered" in history[0]
    assert "system:seed" in history[0]


def test_a_reader_sees_amended_details_and_an_objection_on_a_partners_page(
    stack: Stack, page: Page
) -> None:
    with stack.client(stack.officer) as officer, stack.client(stack.director) as director:
        partner_id = officer.post("/partners", json=registration()).json()["partner_id"]
        officer.post(f"/partners/{partner_id}/amendments",
                     json={"legal_name": "PT Contoh Digital", "reason": "Deed amended"})  # fmt: skip
        director.post(f"/partners/{partner_id}/suspension", json={"reason": "Investigating"})
        officer.post(f"/partners/{partner_id}/objections",
                     json={"against_version": 3, "reason": "Nothing to investigate"})  # fmt: skip
        director.post(f"/partners/{partner_id}/objections/1/decision",
                      json={"outcome": "upheld", "reason": "Complaint withdrawn"})  # fmt: skip
        with stack.client() as reader:
            eventually(visible(reader, partner_id, 5))

    page.goto(f"{stack.url}/register/{partner_id}")

    facts = page.locator("dl").inner_text()
    assert "PT Contoh Digital" in facts
    assert "Suspended since" not in facts
    objections = page.get_by_role("table", name="Objections (1)")
    assert "Nothing to investigate" in objections.inner_text()
    assert "upheld on" in objections.inner_text()
    kinds = page.locator("table").last.locator("tbody tr td:nth-child(2)").all_inner_texts()
    assert kinds == ["Registered", "Details amended", "Suspended", "Objection lodged",
                     "Objection decided"]  # fmt: skip


def test_a_reader_sees_a_corrected_fact_with_its_note_and_reaches_the_original(
    stack: Stack, page: Page
) -> None:
    with stack.client(stack.officer) as officer:
        partner_id = officer.post("/partners", json=registration(legal_name="PT Slah")).json()[
            "partner_id"
        ]
        officer.post(f"/partners/{partner_id}/events/1/correction",
                     json={"changes": {"legal_name": "PT Salah Ketik"}, "reason": "Misspelt"})  # fmt: skip
        with stack.client() as reader:
            eventually(visible(reader, partner_id, 2))

    page.goto(f"{stack.url}/register/{partner_id}")

    assert "PT Salah Ketik" in page.locator("dl").inner_text()
    note = page.locator("p.correction").inner_text()
    assert "because Misspelt" in note
    assert "PT Slah → PT Salah Ketik" in note
    page.get_by_role("link", name="the original").click()
    assert page.url.endswith("#event-1")
    assert "corrected by event 2" in page.locator("#event-1").inner_text()


def test_a_reader_follows_a_partner_from_a_past_register_to_its_page_at_that_date(
    stack: Stack, page: Page
) -> None:
    with stack.client(stack.officer) as officer:
        partner_id = officer.post("/partners", json=registration()).json()["partner_id"]
        officer.post(f"/partners/{partner_id}/evaluations", json=evaluation())
        with stack.client() as reader:
            eventually(visible(reader, partner_id, 2))
    page.goto(f"{stack.url}/?as_of=2020-04-27")

    page.get_by_role("link", name="Tokopedia").click()

    assert "as_of=2020-04-27" in page.url
    assert "As it stood at the end of 27 April 2020" in page.get_by_role("status").inner_text()
    page.goto(f"{stack.url}/register/{partner_id}")
    latest = page.get_by_role("table", name="Latest evaluation").inner_text()
    assert "rules applied:" in latest
    assert "technology checked" in latest
    page.goto(f"{stack.url}/register/{partner_id}?as_of=2020-04-27")
    assert page.get_by_role("heading", level=1).inner_text() == "Not found"
    assert "was registered by the end of 27 April 2020" in page.locator("main").inner_text()


def test_every_kind_of_event_appears_in_a_partners_history_in_the_order_recorded(
    stack: Stack, page: Page
) -> None:
    with stack.client(stack.officer) as officer, stack.client(stack.director) as director:
        pid = officer.post("/partners", json=registration()).json()["partner_id"]
        steps = [
            (officer, "evaluations", evaluation()),
            (officer, "warnings", warning()),
            (officer, "warnings/1/deadline-extension", {"deadline": "2099-06-30", "reason": "r"}),
            (officer, "warnings/1/withdrawal", {"reason": "Issued in error"}),
            (officer, "warnings", warning()),
            (officer, "warnings/2/resolution", {"evidence": "Fixed", "reason": "r"}),
            (director, "suspension", {"reason": "Investigating"}),
            (director, "reinstatement", {"reason": "Cleared"}),
            (officer, "amendments", {"website": "https://baru.example", "reason": "Moved"}),
            (
                officer,
                "events/1/correction",
                {"changes": {"reason": "Agreement signed"}, "reason": "Typo"},
            ),
            (director, "termination", {"reason": "Breach"}),
            (officer, "objections", {"against_version": 12, "reason": "No breach"}),
            (director, "objections/1/decision", {"outcome": "upheld", "reason": "Agreed"}),
            (officer, "withdrawal", {"reason": "Leaving"}),
        ]
        answers = [
            client.post(f"/partners/{pid}/{path}", json=body) for client, path, body in steps
        ]
        with stack.client() as reader:
            eventually(visible(reader, pid, len(steps) + 1))

    page.goto(f"{stack.url}/register/{pid}")

    assert [a.status_code for a in answers] == [201] * len(steps)
    kinds = page.locator("table").last.locator("tbody tr td:nth-child(2)").all_inner_texts()
    assert [k.split("\n")[0].split(" (")[0] for k in kinds] == [
        "Registered", "Evaluated", "Warned", "Deadline extended", "Warning withdrawn",
        "Warned", "Warning resolved", "Suspended", "Reinstated", "Details amended", "Corrected",
        "Terminated", "Objection lodged", "Objection decided", "Withdrew",
    ]  # fmt: skip
    facts = page.locator("dl").inner_text()
    assert "withdrawn" in facts
    assert "https://baru.example" in facts


@pytest.fixture
def page_in_indonesian(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(java_script_enabled=False, locale="id-ID")
    yield context.new_page()
    context.close()


def test_the_public_reads_the_register_in_indonesian_and_switches_to_english(
    stack: Stack, page_in_indonesian: Page
) -> None:
    page = page_in_indonesian
    with stack.client(stack.officer) as officer:
        partner_id = officer.post(
            "/partners", json=registration(effective_date="2025-08-17")
        ).json()["partner_id"]
        with stack.client() as reader:
            eventually(visible(reader, partner_id, 1))

    page.goto(f"{stack.url}/register/{partner_id}")

    assert page.locator("html").get_attribute("lang") == "id"
    facts = page.locator("dl").inner_text()
    assert "Mitra sejak" in facts
    assert "17 Agustus 2025" in facts
    assert "aktif" in facts
    assert page.locator("table").last.locator("tbody td").nth(3).inner_text().endswith("WIB")
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "17 August 2025" in page.locator("dl").inner_text()
    page.goto(f"{stack.url}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Kartu Prakerja partner platforms"
    page.get_by_role("link", name="Bahasa Indonesia").click()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Platform digital mitra Kartu Prakerja"
    )
