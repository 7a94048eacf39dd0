"""Stores for the tests: an SQLite file per test, or a PostgreSQL schema per test.

One PostgreSQL database is created for the whole run and dropped at the end,
so the tests leave nothing behind on the server.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from pydantic import SecretStr

from projections.storage.store import ReadModelStore
from registry.bootstrap import build_read_models
from registry.config import Settings, persistence_env
from registry.service.application import PartnerRegistry
from tests.builders import TODAY

ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session", autouse=True)
def signing_key_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Relays sign checkpoints; their key is created here, never in the working tree."""
    with pytest.MonkeyPatch.context() as patch:
        key_dir = tmp_path_factory.mktemp("keys")
        patch.setenv("SIGNING_KEY_FILE", str(key_dir / "checkpoint-signing.pem"))
        yield


@contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """A fresh database on the real server, dropped (with its connections) afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database for the whole run (each test takes a schema of its own)."""
    with scratch_database("registry_test") as url:
        yield url


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """A URL whose search path is a schema of this test's own."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    return f"{postgres_database}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/registry.sqlite3"
    url: str = request.getfixturevalue("postgres_url")
    return url


def open_registry(database_url: str, **env: str) -> PartnerRegistry:
    """A registry on the given store whose 'today' is the builders' TODAY."""
    settings = Settings(database_url=SecretStr(database_url))
    return PartnerRegistry(env={**persistence_env(settings), **env}, today=lambda: TODAY)


@pytest.fixture
def registry(database_url: str) -> Iterator[PartnerRegistry]:
    """The registry application on the store of this run of the test."""
    app = open_registry(database_url)
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def read_models(database_url: str) -> Iterator[ReadModelStore]:
    """The read-model store on the store of this run of the test."""
    store = build_read_models(Settings(database_url=SecretStr(database_url)))
    try:
        yield store
    finally:
        store.close()


# Every line a test prints or logs is scanned for secrets: an API token, a
# private key, or the test password "s3cret" used in database URLs. Tests
# that run processes scan those processes' log files with secrets_in_logs.
_SECRET = re.compile(r"prt_[A-Za-z0-9_-]{20,}|BEGIN PRIVATE KEY|s3cret")
_leaks: list[str] = []


def secrets_in_logs(folder: Path, known: Iterable[str] = ()) -> list[str]:
    """Lines of the logs (``*.log``, ``*.out``) under ``folder`` showing a secret or one of ``known``."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix in (".log", ".out")):
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if _SECRET.search(line) or any(secret in line for secret in known):
                found.append(f"{path.relative_to(folder)}:{number}: {line[:200]}")
    return found


_fault_reports: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Look for secrets in what each test phase printed and logged; keep fault reports."""
    if report.when == "call":
        _fault_reports.extend(str(v) for k, v in report.user_properties if k == "fault report")
    for section, content in report.sections:
        for line in content.splitlines():
            if _SECRET.search(line):
                _leaks.append(f"{report.nodeid} ({section}): {line[:200]}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if any secret reached output or logs.

    The log files every test's processes wrote under the run's temporary
    folder (the workers' folders sit inside it) are scanned once, at the end.
    """
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is not None and not hasattr(session.config, "workerinput"):
        _leaks.extend(secrets_in_logs(factory.getbasetemp()))
    if _leaks:
        print("\nSECRETS FOUND IN TEST OUTPUT OR LOGS:\n" + "\n".join(_leaks[:20]))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print what the fault tests measured (recorded as "fault report"), even when they pass."""
    if _fault_reports:
        terminalreporter.write_sep("-", "fault reports")
        for text in _fault_reports:
            terminalreporter.write_line(text)
