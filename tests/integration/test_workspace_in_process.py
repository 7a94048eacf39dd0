"""The workspace and the pages in one process (SQLite): every path a form can take.

The browser tests drive the same routes in a real browser against a
running stack; these run the app in-process, so each refusal, each
decision and each page is also measured for coverage.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from consumers.read_side.rebuild import store_history
from registry.adapters.tokens import Role, TokenStore
from registry.api.app import create_app
from registry.api.oidc import IdentityProvider, SignInRefusedError
from registry.bootstrap import build_read_models, open_database
from registry.config import Settings
from registry.service.application import PartnerRegistry
from tests.conftest import open_registry

CRITERIA = ("legal_entity", "national_coverage", "technology", "open_marketplace")


@dataclass
class Office:
    """The app, a browser-like client, and tokens to sign in with."""

    client: TestClient
    officer: str
    director: str
    settings: Settings


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    url = f"sqlite:///{tmp_path}/registry.sqlite3"
    settings = Settings(database_url=SecretStr(url), feed_dir=str(tmp_path / "feeds"),
                        session_secret=SecretStr("test-only-secret"), log_level="warning")  # fmt: skip
    db = open_database(url, settings)
    store = TokenStore(db)
    store.setup()
    _, officer = store.create("officer.siti", Role.OFFICER)
    _, director = store.create("director.rina", Role.DIRECTOR)
    db.close()
    with TestClient(create_app(settings), headers={"Accept-Language": "en"}) as client:
        yield Office(client, officer, director, settings)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def _sign_in(office: Office, token: str) -> str:
    office.client.cookies.clear()
    form = office.client.get("/kelola")
    signed = office.client.post("/kelola/masuk", data={"csrf": _csrf(form.text), "token": token},
                                follow_redirects=False)  # fmt: skip
    assert signed.status_code == 303
    return _csrf(office.client.get("/kelola").text)


def _register(office: Office, csrf: str, name: str = "Belajar Proses") -> str:
    answer = office.client.post("/kelola/daftar", follow_redirects=False, data={
        "csrf": csrf, "name": name, "legal_form": "private_company", "national_coverage": "yes",
        "technology_ready": "yes", "open_marketplace": "yes", "reason": "Agreement signed",
        "effective_date": "2025-01-06",
    })  # fmt: skip
    assert answer.status_code == 303, answer.text[:800]
    return str(answer.headers["location"]).split("?")[0]


def _decide(office: Office, path: str, decision: str, **fields: str) -> tuple[int, str]:
    version = re.search(r"<dt>Version</dt><dd>(\d+)</dd>", office.client.get(path).text)
    assert version
    data = {"csrf": _csrf(office.client.get(path).text), "version": version.group(1),
            "reason": "Decided"} | fields  # fmt: skip
    answer = office.client.post(f"{path}/{decision}", data=data, follow_redirects=False)
    return answer.status_code, answer.text


def test_sign_in_is_refused_without_the_forms_token_or_with_a_dead_one(office: Office) -> None:
    page = office.client.get("/kelola")
    no_csrf = office.client.post("/kelola/masuk", data={"token": office.officer})
    dead = office.client.post("/kelola/masuk", data={"csrf": _csrf(page.text), "token": "rt_x"})
    forged = office.client.get("/kelola", cookies={"registry_session": "forged.value"})

    assert (no_csrf.status_code, dead.status_code) == (403, 401)
    assert "not a live token" in dead.text
    assert 'action="/kelola/masuk"' in forged.text


def test_every_decision_is_recorded_from_its_form_and_refusals_come_back_to_it(
    office: Office,
) -> None:
    csrf = _sign_in(office, office.director)
    path = _register(office, csrf)
    evaluation = {f"verdict_{c}": "pass" for c in CRITERIA} | {
        f"finding_{c}": "Checked" for c in CRITERIA} | {"obligation_0": "Monthly report",
        "met_0": "no", "obligation_finding_0": "Late"}  # fmt: skip
    steps = [
        ("evaluasi", evaluation),
        ("peringatan", {"criterion": "technology", "deadline": "2099-01-31"}),
        ("perpanjangan-tenggat", {"warning_number": "1", "deadline": "2099-03-31"}),
        ("penyelesaian-peringatan", {"warning_number": "1", "evidence": "Fixed"}),
        ("peringatan", {"obligation": "Monthly report", "deadline": "2099-01-31"}),
        ("penarikan-peringatan", {"warning_number": "2"}),
        ("penangguhan", {}),
        ("keberatan", {"against_version": "8"}),
        ("putusan-keberatan", {"objection_number": "1", "outcome": "dismissed"}),
        ("pemulihan", {}),
        ("perubahan-data", {"website": "https://baru.example", "clear_commission_terms": "yes"}),
        (
            "koreksi",
            {"event_version": "1", "field": "reason", "value": "Agreement signed on paper"},
        ),
    ]
    answers = [_decide(office, path, decision, **fields)[0] for decision, fields in steps]
    asked, _ = _decide(office, path, "pemutusan")
    confirmed, _ = _decide(office, path, "pemutusan", confirmed="yes")

    assert answers == [303] * len(steps)
    assert (asked, confirmed) == (200, 303)
    assert "terminated" in office.client.get(path).text


@pytest.mark.parametrize(
    ("decision", "fields", "status", "shown"),
    [
        ("peringatan", {"criterion": "technology", "deadline": "31/01/2099"}, 422, "YYYY-MM-DD"),
        ("peringatan", {"criterion": "nope", "deadline": "2099-01-31"}, 422, "from the list"),
        ("peringatan", {"criterion": "technology", "deadline": "2000-01-31"}, 422, "after today"),
        ("evaluasi", {"verdict_technology": "maybe"}, 422, "Choose a verdict"),
        ("putusan-keberatan", {"objection_number": "1", "outcome": "maybe"}, 422, "upheld or"),
        ("penyelesaian-peringatan", {"warning_number": "x"}, 422, "number from 1"),
        ("penyelesaian-peringatan", {"warning_number": "4", "evidence": "e"}, 422, "never issued"),
        ("nothing-such", {}, 403, "expired"),
    ],
)
def test_a_refused_decision_comes_back_with_why_next_to_its_field(
    office: Office, decision: str, fields: dict[str, str], status: int, shown: str
) -> None:
    path = _register(office, _sign_in(office, office.director))

    answer, text = _decide(office, path, decision, **fields)

    assert answer == status
    assert shown in text


def test_a_stale_form_shows_what_changed_and_an_officer_may_not_terminate(office: Office) -> None:
    path = _register(office, _sign_in(office, office.officer))
    _decide(office, path, "peringatan", criterion="technology", deadline="2099-01-31")
    csrf = _csrf(office.client.get(path).text)

    stale = office.client.post(f"{path}/penangguhan", data={"csrf": csrf, "version": "1",
                                                             "reason": "Late"})  # fmt: skip
    warned_again = office.client.post(f"{path}/peringatan", data={
        "csrf": csrf, "version": "1", "reason": "Late", "criterion": "technology",
        "deadline": "2099-01-31"})  # fmt: skip
    terminate, _ = _decide(office, path, "pemutusan")
    signed_out = office.client.post("/kelola/keluar", data={"csrf": csrf}, follow_redirects=False)

    assert stale.status_code == 403
    assert warned_again.status_code == 409
    assert "Integration" not in warned_again.text
    assert "changed since you opened the form" in warned_again.text
    assert terminate == 403
    assert signed_out.status_code == 303
    assert "registry_session=" in signed_out.headers["set-cookie"]


def test_a_registration_refused_by_a_rule_shows_why_next_to_the_field(office: Office) -> None:
    csrf = _sign_in(office, office.officer)
    _register(office, csrf, name="Sudah Ada")

    again = office.client.post("/kelola/daftar", data={
        "csrf": csrf, "name": "Sudah Ada", "legal_form": "private_company",
        "national_coverage": "yes", "technology_ready": "yes", "open_marketplace": "yes",
        "reason": "Twice"})  # fmt: skip
    bad_day = office.client.post("/kelola/daftar", data={
        "csrf": csrf, "name": "Baru", "legal_form": "private_company", "reason": "x",
        "national_coverage": "yes", "technology_ready": "yes", "open_marketplace": "yes",
        "effective_date": "0"})  # fmt: skip

    assert again.status_code == 409
    assert 'id="name-error"' in again.text
    assert bad_day.status_code == 422
    assert 'id="effective_date-error"' in bad_day.text


def test_the_public_pages_show_the_timeline_the_chart_and_the_audit_trail(
    office: Office, tmp_path: Path
) -> None:
    path = _register(office, _sign_in(office, office.director))
    _decide(office, path, "penangguhan")
    registry: PartnerRegistry = open_registry(office.settings.database_url.get_secret_value())
    read_models = build_read_models(office.settings)
    read_models.rebuild(store_history(registry), {})
    registry.close()
    read_models.close()
    partner = path.rsplit("/", 1)[1]

    history = office.client.get(f"/register/{partner}").text
    front = office.client.get("/").text
    audit = office.client.get("/audit").text
    indonesian = office.client.get(f"/register/{partner}?lang=id").text

    assert "suspended from" in history
    assert '<svg viewBox="0 0 1000 40"' in history
    assert "Partners by status, month by month" in front
    assert "<dt>Verified up to entry</dt><dd>2</dd>" in audit
    assert '<html lang="id">' in indonesian
    assert "ditangguhkan" in indonesian


def test_the_provider_sign_in_is_refused_without_one_and_roles_come_from_the_claim(
    office: Office,
) -> None:
    started = office.client.get("/kelola/oidc/mulai", follow_redirects=False)
    answered = office.client.get("/kelola/oidc/kembali?code=x&state=y")
    provider = IdentityProvider(Settings(oidc_issuer="https://id.example/", oidc_client_id="c",
                                         oidc_client_secret=SecretStr("s")))  # fmt: skip

    assert started.status_code == 303
    assert answered.status_code == 400
    assert provider.issuer == "https://id.example"
    assert provider._role_of({"roles": ["officer", "x"]}).value == "officer"
    assert provider._role_of({"roles": "director"}).value == "director"
    with pytest.raises(SignInRefusedError, match="no role"):
        provider._role_of({"roles": ["reader"]})
    with pytest.raises(ValueError, match="OIDC_ISSUER"):
        IdentityProvider(Settings(oidc_issuer="https://id.example"))


def test_a_director_records_a_rule_set_from_the_form_and_an_officer_only_reads_the_book(
    office: Office,
) -> None:
    csrf = _sign_in(office, office.director)
    fields = {"csrf": csrf, "identifier": "rules-v2", "title": "Amended criteria",
              "in_force_from": "2026-01-01", "citation_technology": "Art. 4",
              "reason": "Regulation amended"}  # fmt: skip
    recorded = office.client.post("/kelola/aturan", data=fields, follow_redirects=False)
    again = office.client.post("/kelola/aturan", data=fields)
    bad_day = office.client.post("/kelola/aturan", data=fields | {"identifier": "v3",
                                                                    "in_force_from": "2026"})  # fmt: skip
    book = office.client.get("/kelola/aturan").text
    officer_csrf = _sign_in(office, office.officer)
    officer = office.client.post("/kelola/aturan", data=fields | {"csrf": officer_csrf})

    assert recorded.status_code == 303
    assert (again.status_code, bad_day.status_code) == (422, 422)
    assert 'id="identifier-error"' in again.text
    assert 'id="in_force_from-error"' in bad_day.text
    assert "Art. 4" in book
    assert "rules-v2: Amended criteria" in book
    assert officer.status_code == 403
    assert "Record the rule set" not in office.client.get("/kelola/aturan").text


def test_a_refusal_comes_back_in_the_readers_language_with_its_dates(office: Office) -> None:
    path = _register(office, _sign_in(office, office.officer))
    opened = office.client.get(path).text
    version = re.search(r"<dt>Version</dt><dd>(\d+)</dd>", opened)
    assert version

    warned = office.client.post(f"{path}/peringatan?lang=id", data={
        "csrf": _csrf(opened), "version": version.group(1), "reason": "Terlambat",
        "criterion": "technology", "deadline": "2000-01-31"})  # fmt: skip
    unknown = office.client.get("/register/nope?lang=id")
    malformed = office.client.get("/?known_at=kemarin&lang=id")

    assert warned.status_code == 422
    assert "Tenggat perbaikan, 31 Januari 2000, harus setelah hari ini" in warned.text
    assert "must be after today" not in warned.text
    assert unknown.status_code == 404
    assert "Tidak ada mitra dengan id" in unknown.text
    assert malformed.status_code == 400
    assert "bukan waktu; gunakan YYYY-MM-DD" in malformed.text
