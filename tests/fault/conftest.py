"""The fault tests' environment: a schema of their own on the machine's PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql


@pytest.fixture
def chaos_env(postgres_database: str, tmp_path: Path) -> dict[str, str]:
    schema = f"chaos_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    return {
        "DATABASE_URL": f"{postgres_database}?options=-csearch_path%3D{schema}",
        "FEED_DIR": str(tmp_path / "feeds"),
        "SIGNING_KEY_FILE": str(tmp_path / "key.pem"),
        "RELAY_SAFETY_POLL_SECONDS": "1",
        "PROJECTION_STALL_SECONDS": "3",
        "CHECKPOINT_INTERVAL_SECONDS": "5",
        "LOG_FORMAT": "json",
        # Small pools: several stacks share the test server's 100 connections.
        "DATABASE_POOL_MAX": "4",
    }
