"""The API when its database goes away: 503 with Retry-After, and recovery when it returns."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql
from pydantic import SecretStr

from registry.api.app import create_app
from registry.config import Settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def own_role(postgres_database: str) -> Iterator[tuple[str, str]]:
    """A login role owning a schema of its own, so it can be locked out alone."""
    role = f"reg_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_database, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        admin.execute(
            sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(
                sql.Identifier(role), sql.Identifier(role)
            )
        )
    host_and_db = postgres_database.split("@", 1)[1]
    yield role, f"postgresql://{role}@{host_and_db}?options=-csearch_path%3D{role}"
    with psycopg.connect(postgres_database, autocommit=True) as admin:
        admin.execute(sql.SQL("ALTER ROLE {} LOGIN").format(sql.Identifier(role)))
        lock_out(admin, role, login=True)
        admin.execute(sql.SQL("DROP OWNED BY {} CASCADE").format(sql.Identifier(role)))
        admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def lock_out(admin: psycopg.Connection[tuple[object, ...]], role: str, *, login: bool) -> None:
    admin.execute(
        sql.SQL("ALTER ROLE {} {}").format(
            sql.Identifier(role), sql.SQL("LOGIN" if login else "NOLOGIN")
        )
    )
    admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,)
    )


def wait_for_status(client: TestClient, path: str, status: int, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get(path).status_code == status:
            return True
        time.sleep(0.5)
    return False


def test_reads_and_writes_get_503_while_the_database_is_gone_and_recover_after(
    own_role: tuple[str, str], postgres_database: str, tmp_path: Path
) -> None:
    role, url = own_role
    settings = Settings(database_url=SecretStr(url), feed_dir=str(tmp_path))
    with TestClient(create_app(settings)) as client:
        assert client.get("/partners").status_code == 200
        with psycopg.connect(postgres_database, autocommit=True) as admin:
            lock_out(admin, role, login=False)

        read = client.get("/partners")
        write = client.post("/partners", json={}, headers={"Authorization": "Bearer prt_x"})
        not_ready = client.get("/readyz")

        with psycopg.connect(postgres_database, autocommit=True) as admin:
            lock_out(admin, role, login=True)
        recovered = wait_for_status(client, "/partners", 200)

    assert read.status_code == 503
    assert read.headers["content-type"] == "application/problem+json"
    assert read.headers["retry-after"] == "5"
    assert "database cannot be reached" in read.json()["detail"]
    assert write.status_code in (422, 503)
    assert not_ready.status_code == 503
    assert recovered
