"""The running stack (``partner-registry up``) on real PostgreSQL and a real broker.

One stack per test run (all end-to-end tests share an xdist group, so they
run on one worker); tests keep apart by using names of their own.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from playwright.sync_api import Browser, sync_playwright
from psycopg import sql

from infra.local.broker import free_port
from tests.conftest import secrets_in_logs
from tests.feed_helpers import published_json


@dataclass(frozen=True)
class Stack:
    """Where the stack answers, the tokens for it, and where it logs."""

    url: str
    database_url: str
    officer: str
    director: str
    revoked: str
    log_dir: Path
    feed_dir: Path
    env: dict[str, str]

    def client(self, token: str | None = None, language: str = "en") -> httpx.Client:
        """An HTTP client, authenticated when given a token, reading pages in ``language``."""
        headers = {"Accept-Language": language}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=15)


def cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "registry", *args], env=env, capture_output=True, text=True,
        check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="session")
def stack(postgres_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stack most end-to-end tests share: the seed, then what they record."""
    with running_stack(postgres_database, tmp_path_factory.mktemp("stack")) as running:
        yield running


@pytest.fixture(scope="session")
def fuzz_stack(postgres_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of the fuzzer's own: what it records (backdated partners, odd names)
    would change what the shared stack's tests see."""
    with running_stack(postgres_database, tmp_path_factory.mktemp("fuzz-stack")) as running:
        yield running


@contextmanager
def running_stack(postgres_database: str, folder: Path) -> Iterator[Stack]:
    """``partner-registry up`` on a schema of its own, seeded, with three tokens."""
    schema = f"stack_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    env |= {
        "DATABASE_URL": f"{postgres_database}?options=-csearch_path%3D{schema}",
        "FEED_DIR": str(folder / "feeds"),
        "PUBLIC_BASE_URL": url,
        "RELAY_SAFETY_POLL_SECONDS": "1",
        "PROJECTION_STALL_SECONDS": "2",
        "LOG_FORMAT": "json",
        # Small pools: several stacks share the test server's 100 connections.
        "DATABASE_POOL_MAX": "4",
    }
    cli(env, "seed")
    tokens = {
        role: json.loads(
            cli(env, "token", "create", "--actor", f"{role}.e2e", "--role", kind, "--json")
        )
        for role, kind in (("officer", "officer"), ("director", "director"), ("revoked", "officer"))
    }
    cli(env, "token", "revoke", tokens["revoked"]["id"])
    process = subprocess.Popen(
        [sys.executable, "-m", "registry", "up", "--port", str(port), "--log-dir", str(folder / "log")],
        env=env, stdout=(folder / "up.out").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    running = Stack(
        url=url, database_url=env["DATABASE_URL"], officer=tokens["officer"]["token"],
        director=tokens["director"]["token"], revoked=tokens["revoked"]["token"],
        log_dir=folder / "log", feed_dir=folder / "feeds", env=env,
    )  # fmt: skip
    try:
        _wait_until_ready(running, process)
        yield running
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0, (folder / "up.out").read_text()
    tokens_shown = secrets_in_logs(folder, [t["token"] for t in tokens.values()])
    assert not tokens_shown, tokens_shown


def _wait_until_ready(stack: Stack, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, "the stack exited at start-up"
        try:
            if httpx.get(f"{stack.url}/readyz", timeout=2).status_code == 200:
                feed = published_json(stack.feed_dir)
                if feed is not None and feed["count"] == 8:
                    return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("the stack did not become ready with the seed projected")


CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright."""
    executable = shutil.which("chromium")
    assert executable, "install Debian's chromium (infra/local/ensure-chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()
