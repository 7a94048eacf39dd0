"""Officers decide in the browser: signed in through a real OpenID Connect provider.

The provider is panva/oidc-provider from the npm registry, run by Node.js
(``infra/local/oidc``); a second HTTP server of the registry, on the shared
stack's database, is configured to sign in through it. The browser is
Debian's Chromium, without JavaScript.
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page

from infra.local.broker import free_port
from tests.e2e.conftest import Stack
from tests.e2e.helpers import eventually

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("stack")]
OIDC_DIR = Path(__file__).resolve().parents[2] / "infra" / "local" / "oidc"


@dataclass(frozen=True)
class SignIn:
    """The registry server that signs in through the provider."""

    url: str


def _wait_for(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{what} exited at start-up"
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"{what} did not answer")


@pytest.fixture(scope="module")
def sign_in(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignIn]:
    node = shutil.which("node")
    assert node, "install Node.js and run infra/local/ensure-oidc-provider"
    assert (OIDC_DIR / "node_modules" / "oidc-provider").is_dir(), "run ensure-oidc-provider"
    folder = tmp_path_factory.mktemp("sign-in")
    provider_port, server_port = free_port(), free_port()
    server = f"http://127.0.0.1:{server_port}"
    client = {"OIDC_CLIENT_ID": "partner-registry", "OIDC_CLIENT_SECRET": secrets.token_urlsafe(24)}
    provider = subprocess.Popen(
        [node, "provider.mjs"], cwd=OIDC_DIR, stdout=(folder / "provider.log").open("wb"),
        stderr=subprocess.STDOUT, env={"PATH": "/usr/bin:/bin", "OIDC_PORT": str(provider_port),
                                       "OIDC_REDIRECT_URI": f"{server}/kelola/oidc/kembali", **client},
    )  # fmt: skip
    env = stack.env | client | {
        "OIDC_ISSUER": f"http://127.0.0.1:{provider_port}", "OIDC_NAME": "the test provider",
        "PUBLIC_BASE_URL": server, "SESSION_SECRET": secrets.token_urlsafe(32),
    }  # fmt: skip
    registry = subprocess.Popen(
        [sys.executable, "-m", "registry", "serve", "--port", str(server_port)], env=env,
        stdout=(folder / "serve.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_for(f"http://127.0.0.1:{provider_port}/.well-known/openid-configuration", provider,
                  "the OIDC provider")  # fmt: skip
        _wait_for(f"{server}/livez", registry, "the registry server")
        yield SignIn(server)
    finally:
        for process in (registry, provider):
            process.terminate()
            process.wait(10)


def _signed_in(browser: Browser, sign_in: SignIn, login: str) -> Page:
    """A browser signed in through the provider's own login and consent pages."""
    page = browser.new_context(java_script_enabled=False, locale="en-GB").new_page()
    page.goto(f"{sign_in.url}/kelola")
    page.get_by_role("link", name="Sign in with the test provider").click()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any")
    page.locator("button[type=submit]").click()
    page.locator("button[type=submit]").click()  # consent
    return page


def test_officers_register_evaluate_and_warn_and_a_director_terminates_through_the_forms(
    browser: Browser, sign_in: SignIn, stack: Stack
) -> None:
    name = f"Belajar Formulir {secrets.token_hex(4)}"
    officer = _signed_in(browser, sign_in, "officer.siti")
    assert "Signed in as officer.siti (officer)" in officer.locator("form.session").inner_text()
    officer.get_by_role("link", name="Register a platform").click()
    officer.get_by_label("Name", exact=True).fill(name)
    officer.get_by_label("Reason (recorded)").fill("Agreement signed")
    officer.get_by_role("button", name="Register").click()
    assert officer.get_by_role("heading", level=1).inner_text() == name
    for criterion in ("legal entity", "national coverage", "technology", "open marketplace"):
        officer.get_by_role("group", name=criterion).get_by_label("Finding").fill("Checked")
    officer.locator("#evaluasi-reason").fill("Quarterly review")
    officer.get_by_role("button", name="Record the evaluation").click()
    assert "version 2" in officer.get_by_role("status").inner_text()
    officer.get_by_label("The criterion breached").select_option("technology")
    officer.get_by_label("Deadline to remedy (YYYY-MM-DD)").fill("2099-01-31")
    officer.locator("#peringatan-reason").fill("Integration down")
    officer.get_by_role("button", name="Record the warning").click()
    assert "version 3" in officer.get_by_role("status").inner_text()
    assert officer.get_by_role("heading", name="Terminate the partnership").count() == 0
    partner_path = re.sub(r"\?.*", "", officer.url.removeprefix(sign_in.url))

    director = _signed_in(browser, sign_in, "director.rina")
    director.goto(f"{sign_in.url}{partner_path}")
    director.locator("#pemutusan-reason").fill("Still down after the deadline")
    director.get_by_role("button", name="Continue to confirm the termination").click()
    restated = director.locator("main").inner_text()
    assert f"terminate the partnership of {name}" in restated
    assert "Still down after the deadline" in restated
    director.get_by_role("button", name="Terminate").click()
    assert "terminated" in director.locator("dl").inner_text()

    partner_id = partner_path.rsplit("/", 1)[1]
    with stack.client() as reader:
        eventually(lambda: reader.get(f"/partners/{partner_id}").json()["version"] == 4)
        english = reader.get(f"/register/{partner_id}").text
    with stack.client(language="id") as reader:
        indonesian = reader.get(f"/register/{partner_id}").text
    assert "officer.siti" in english
    assert "director.rina" in english
    assert "Terminated" in english
    assert "Diputus" in indonesian


def test_a_stale_form_is_refused_with_what_changed_and_a_form_without_csrf_is_refused(
    browser: Browser, sign_in: SignIn
) -> None:
    officer = _signed_in(browser, sign_in, "officer.budi")
    officer.get_by_role("link", name="Register a platform").click()
    officer.get_by_label("Name", exact=True).fill(f"Belajar Basi {secrets.token_hex(4)}")
    officer.get_by_label("Reason (recorded)").fill("Agreement signed")
    officer.get_by_role("button", name="Register").click()
    other = officer.context.new_page()
    other.goto(officer.url)
    other.get_by_label("The criterion breached").select_option("technology")
    other.get_by_label("Deadline to remedy (YYYY-MM-DD)").fill("2099-01-31")
    other.locator("#peringatan-reason").fill("First warning")
    other.get_by_role("button", name="Record the warning").click()

    officer.get_by_label("The criterion breached").select_option("open_marketplace")
    officer.get_by_label("Deadline to remedy (YYYY-MM-DD)").fill("2099-02-28")
    officer.locator("#peringatan-reason").fill("Second warning, on a stale view")
    officer.get_by_role("button", name="Record the warning").click()

    assert officer.get_by_role("heading", level=1).inner_text() == "The partner changed"
    assert "First warning" in officer.get_by_role("table").inner_text()
    cookies = {c["name"]: c["value"] for c in officer.context.cookies()}
    partner = re.sub(r"\?.*", "", other.url)
    without_token = httpx.post(f"{partner}/peringatan", cookies=cookies, data={
        "version": "2", "reason": "x", "criterion": "technology", "deadline": "2099-01-31",
    })  # fmt: skip
    assert without_token.status_code == 403


def test_someone_the_provider_gives_no_role_is_not_signed_in(
    browser: Browser, sign_in: SignIn
) -> None:
    page = _signed_in(browser, sign_in, "reader.umum")

    assert page.get_by_role("alert").inner_text() == (
        "The identity provider did not sign you in as an officer of this registry."
    )
    assert not any(c["name"] == "registry_session" for c in page.context.cookies())


def _submit(page: Page, decision: str, reason: str, **fields: str) -> None:
    """Fill one decision's form on the partner's page and submit it."""
    for name, value in fields.items():
        control = page.locator(f"#{decision}-{name}")
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    page.locator(f"#{decision}-reason").fill(reason)
    page.locator(f"form[action$='/{decision}'] button[type=submit]").click()


def test_every_other_decision_of_the_domain_has_its_form(
    browser: Browser, sign_in: SignIn, stack: Stack
) -> None:
    director = _signed_in(browser, sign_in, "director.dewi")
    director.get_by_role("link", name="Register a platform").click()
    director.get_by_label("Name", exact=True).fill(f"Belajar Lengkap {secrets.token_hex(4)}")
    director.get_by_label("Reason (recorded)").fill("Agreement signed")
    director.get_by_role("button", name="Register").click()
    director.get_by_label("The criterion breached").select_option("technology")
    director.get_by_label("Deadline to remedy (YYYY-MM-DD)").fill("2099-01-31")
    director.locator("#peringatan-reason").fill("Integration down")
    director.get_by_role("button", name="Record the warning").click()
    _submit(director, "perpanjangan-tenggat", "Audit delayed", warning_number="1",
            deadline="2099-03-31")  # fmt: skip
    _submit(director, "penyelesaian-peringatan", "Remedied", warning_number="1",
            evidence="Integration restored")  # fmt: skip
    director.get_by_label("The criterion breached").select_option("open_marketplace")
    director.get_by_label("Deadline to remedy (YYYY-MM-DD)").fill("2099-01-31")
    director.locator("#peringatan-reason").fill("Issued by mistake")
    director.get_by_role("button", name="Record the warning").click()
    _submit(director, "penarikan-peringatan", "Wrong partner", warning_number="2")
    _submit(director, "penangguhan", "Investigating complaints")
    _submit(director, "keberatan", "The complaints were fake", against_version="7")
    _submit(director, "putusan-keberatan", "Complaints were fake", objection_number="1",
            outcome="upheld")  # fmt: skip
    _submit(director, "perubahan-data", "Moved", website="https://baru.example")
    _submit(director, "koreksi", "Typo", event_version="1", field="reason",
            value="Agreement signed on paper")  # fmt: skip
    _submit(director, "pengunduran-diri", "Closing its training business")
    confirmation = director.locator("main").inner_text()
    director.get_by_role("button", name="Record the withdrawal").click()

    partner_id = re.sub(r"\?.*", "", director.url).rsplit("/", 1)[1]
    with stack.client() as reader:
        eventually(lambda: reader.get(f"/partners/{partner_id}").json()["version"] == 12)
        events = reader.get(f"/partners/{partner_id}/events").json()
    assert "leaves the programme of its own accord" in confirmation
    assert [e["event"]["type"] for e in events] == [
        "Registered", "Warned", "WarningDeadlineExtended", "WarningResolved", "Warned",
        "WarningWithdrawn", "Suspended", "ObjectionLodged", "ObjectionDecided", "DetailsAmended",
        "Corrected", "Withdrawn",
    ]  # fmt: skip
    assert {e["event"]["actor"] for e in events} == {"director.dewi"}


def test_a_director_records_a_rule_set_through_the_form(browser: Browser, sign_in: SignIn) -> None:
    director = _signed_in(browser, sign_in, "director.wati")
    identifier = f"rules-{secrets.token_hex(4)}"
    director.get_by_role("link", name="The rule book").click()
    director.get_by_label("Identifier").fill(identifier)
    director.get_by_label("Title").fill("Criteria as amended")
    director.get_by_label("In force from (YYYY-MM-DD)").fill("1999-06-01")
    director.get_by_label("technology").fill("Art. 4 (as the officer reads it)")
    director.get_by_label("Reason (recorded)").fill("Back-filled from the gazette")
    director.get_by_role("button", name="Record the rule set").click()

    assert director.get_by_role("status").inner_text() == "The rule set was recorded."
    assert f"{identifier}: Criteria as amended" in director.locator("main").inner_text()
