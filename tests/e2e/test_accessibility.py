"""Every page, public and officers', at a phone's width and a desktop's: WCAG 2.2 AA by axe-core.

axe-core (from the npm registry, ``infra/local/axe``) runs inside each page
in Debian's Chromium; a page passes with zero violations and no sideways
scrolling. A screenshot of each page at each width is written to
``test-artifacts/screenshots`` for people to look at (never compared).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import Stack
from tests.e2e.helpers import evaluation, eventually, registration, visible, warning

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("stack")]
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "infra" / "local" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="module")
def partner_id(stack: Stack) -> str:
    """A partner whose page has every kind of table: evaluation, objection, correction."""
    with stack.client(stack.officer) as officer, stack.client(stack.director) as director:
        pid = officer.post("/partners", json=registration(legal_name="PT Akses")).json()[
            "partner_id"
        ]
        officer.post(f"/partners/{pid}/evaluations", json=evaluation())
        officer.post(f"/partners/{pid}/warnings", json=warning())
        director.post(f"/partners/{pid}/suspension", json={"reason": "Checking"})
        officer.post(f"/partners/{pid}/objections", json={"against_version": 4, "reason": "No"})
        officer.post(f"/partners/{pid}/events/1/correction",
                     json={"changes": {"legal_name": "PT Akses Terbuka"}, "reason": "Typo"})  # fmt: skip
        with stack.client() as reader:
            eventually(visible(reader, pid, 6))
    return str(pid)


def _audit(page: Page, name: str, width: int) -> list[Any]:
    """axe-core's violations on the page, and sideways scrolling if any; a screenshot kept."""
    assert AXE.is_file(), "install axe-core (infra/local/ensure-axe)"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_22_AA,
    )
    found: list[Any] = [
        (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
    ]
    scrolled = page.evaluate("document.documentElement.scrollWidth")
    if scrolled > width:
        found.append(("sideways-scrolling", f"the page is {scrolled} px wide", []))
    return found


def _sign_in(page: Page, stack: Stack) -> None:
    page.goto(f"{stack.url}/kelola")
    page.locator("#token").fill(stack.director)
    page.locator("form[action='/kelola/masuk'] button").click()


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["id-ID", "en-GB"])
def test_every_page_has_no_wcag_violation_and_no_sideways_scrolling(
    stack: Stack, browser: Browser, partner_id: str, width: int, language: str
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=language)
    page = context.new_page()
    found: dict[str, list[Any]] = {}
    public = {
        "register": "/", "register-past": "/?as_of=2020-04-27", "partner": f"/register/{partner_id}",
        "partner-past": f"/register/{partner_id}?as_of=2020-04-27", "not-found": "/register/nope",
        "audit": "/audit", "sign-in": "/kelola", "error": "/partners/not-a-uuid",
    }  # fmt: skip
    for name, path in public.items():
        page.goto(f"{stack.url}{path}")
        found[name] = _audit(page, f"{name}-{language}", width)
    _sign_in(page, stack)
    officers = {"workspace": "/kelola", "registration-form": "/kelola/daftar",
                "decisions": f"/kelola/mitra/{partner_id}", "rule-book": "/kelola/aturan"}  # fmt: skip
    for name, path in officers.items():
        page.goto(f"{stack.url}{path}")
        found[name] = _audit(page, f"{name}-{language}", width)
    page.goto(f"{stack.url}/kelola/mitra/{partner_id}")
    page.locator("#pemutusan-reason").fill("Accessibility check, not submitted")
    page.locator("form[action$='/pemutusan'] button").click()
    found["confirmation"] = _audit(page, f"confirmation-{language}", width)
    page.goto(f"{stack.url}/kelola/mitra/{partner_id}")
    page.locator("#pemulihan-reason").fill("Accessibility check")
    page.evaluate(
        "document.querySelector(\"form[action$='/pemulihan'] input[name=version]\").value = '1'"
    )
    page.locator("form[action$='/pemulihan'] button").click()
    found["stale-form"] = _audit(page, f"stale-form-{language}", width)
    context.close()

    assert {name: v for name, v in found.items() if v} == {}
