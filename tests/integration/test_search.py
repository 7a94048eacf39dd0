"""Searching the register by name is the database's work, on SQLite and on PostgreSQL.

``GET /partners?q=`` used to read every row and filter in Python: a scan of
the whole register for each request. The read models now keep each name
case-folded (``name_key``), PostgreSQL indexes it with trigrams, and the
store answers a page and its total in SQL. What it finds must be what the
Python filter found: case-folded containment, ``%`` and ``_`` taken
literally, names ordered by code point.
"""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import sql
from pydantic import SecretStr
from structlog.testing import capture_logs

from projections.storage.store import ReadModelStore
from registry.bootstrap import build_read_models
from registry.config import Settings
from registry.domain.commands import RegisterPartner
from registry.record.public_record import START, read_after
from registry.service.application import PartnerRegistry
from tests.builders import decision, platform
from tests.conftest import ADMIN_URL, scratch_database

pytestmark = pytest.mark.postgres

NAMES = ["Belajar 100% Kita", "Kelas_Satu", "KelasXSatu", "Éclair Akademi", "zeta kursus",
         "Alpha Kursus", "ALPHA Dua", "Ruang Kursus"]  # fmt: skip


@pytest.fixture
def register(registry: PartnerRegistry, read_models: ReadModelStore) -> ReadModelStore:
    for name in NAMES:
        registry.register(RegisterPartner(platform(name=name), decision()))
    events, _ = read_after(registry, START, 1000)
    read_models.apply(events, {}, read_models.generation())
    return read_models


def _python_filter(store: ReadModelStore, text: str) -> list[str]:
    """What the register page did before: every row read, filtered and sorted here."""
    wanted = text.casefold().strip()
    rows = [r for r in store.partners() if wanted in r.name.casefold()]
    return [r.name for r in sorted(rows, key=lambda r: (r.name.casefold(), r.partner_id))]


@pytest.mark.parametrize("text", ["kursus", "ALPHA", "100%", "_", "kelas_", "É", "  zeta ", "x"])
def test_a_search_finds_what_the_python_filter_found_in_the_same_order(
    register: ReadModelStore, text: str
) -> None:
    found, total = register.search(text, None, 50, 0)

    assert [r.name for r in found] == _python_filter(register, text)
    assert total == len(found)


def test_a_search_pages_through_its_matches_and_counts_them_all(
    register: ReadModelStore,
) -> None:
    first, total = register.search("kursus", None, 2, 0)
    rest, _ = register.search("kursus", None, 2, 2)

    assert total == 3
    assert [r.name for r in first + rest] == _python_filter(register, "kursus")


def test_a_search_by_status_and_with_no_text_lists_the_register(register: ReadModelStore) -> None:
    everyone, total = register.search(None, "active", 50, 0)
    nobody, none = register.search("kursus", "terminated", 50, 0)

    assert (total, none, nobody) == (len(NAMES), 0, [])
    assert [r.name for r in everyone] == _python_filter(register, "")


def test_on_postgresql_a_search_is_answered_by_the_trigram_index(postgres_url: str) -> None:
    # given the read models on PostgreSQL, and a register of a hundred thousand names
    build_read_models(Settings(database_url=SecretStr(postgres_url))).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO rm_partners SELECT 'p' || i, 'Platform ' || i, NULL, NULL, NULL, NULL,"
            " 'private_company', NULL, 'active', '2020-01-01', NULL, NULL, NULL, NULL, NULL,"
            " NULL, NULL, NULL, '{}', '[]', '[]', '[]', 1, i, '2020-01-01', 'platform ' || i"
            " FROM generate_series(1, 100000) AS i"
        )
        conn.execute("ANALYZE rm_partners")

        # when the planner is asked how it finds the names containing a text
        plan = "\n".join(
            str(row[0])
            for row in conn.execute(
                "EXPLAIN SELECT count(*) FROM rm_partners WHERE name_key LIKE '%form 1234%'"
            )
        )

    # then it reads the index, not every row
    assert "rm_partners_by_name" in plan, plan
    assert "Seq Scan" not in plan, plan


def test_a_user_who_may_not_add_the_extension_gets_a_search_that_reads_the_rows() -> None:
    # given a database without pg_trgm, and a login role that may not add it
    role = f"reg_{uuid.uuid4().hex[:10]}"
    try:
        with scratch_database("registry_test") as admin_url:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
                admin.execute(
                    sql.SQL("CREATE SCHEMA {0} AUTHORIZATION {0}").format(sql.Identifier(role))
                )
            url = f"postgresql://{role}@{admin_url.split('@', 1)[1]}?options=-csearch_path%3D{role}"

            # when the read models are set up as that role
            with capture_logs() as logs:
                store = build_read_models(Settings(database_url=SecretStr(url)))
            try:
                found = store.search("kursus", None, 10, 0)
            finally:
                store.close()
            with psycopg.connect(admin_url, autocommit=True) as admin:
                indexes = [r[0] for r in admin.execute("SELECT indexname FROM pg_indexes")]
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))

    # then they work, without the index, and say why
    assert found == ([], 0)
    assert "rm_partners_by_name" not in indexes
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == [
        "no trigram index: a search by name reads every row"
    ]
