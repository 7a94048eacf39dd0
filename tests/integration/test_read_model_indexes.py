"""The feed publisher's question to the read models is answered by an index, not a scan."""

from __future__ import annotations

import psycopg
import pytest
from pydantic import SecretStr

from registry.bootstrap import build_read_models
from registry.config import Settings

pytestmark = pytest.mark.postgres

ROWS = (
    "INSERT INTO rm_partners SELECT 'p' || i, 'Platform ' || i, NULL, NULL, NULL, NULL,"
    " 'private_company', NULL, 'active', '2020-01-01', NULL, NULL, NULL, NULL, NULL,"
    " NULL, NULL, NULL, '{}', '[]', '[]', '[]', 1, i, '2020-01-01', 'platform ' || i"
    " FROM generate_series(1, 100000) AS i"
)


@pytest.mark.parametrize("tables", ["as set up", "after a rebuild"])
def test_the_rows_changed_since_a_position_are_found_by_index(
    postgres_url: str, tables: str
) -> None:
    # given the read models on PostgreSQL (set up, or rebuilt and swapped in) holding a
    # register of a hundred thousand partners
    store = build_read_models(Settings(database_url=SecretStr(postgres_url)))
    if tables == "after a rebuild":
        store.rebuild(iter([]), {})
    store.close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(ROWS)
        conn.execute("ANALYZE rm_partners")

        # when the planner is asked how it finds the rows changed after the latest few
        plan = "\n".join(
            str(row[0])
            for row in conn.execute(
                "EXPLAIN SELECT * FROM rm_partners WHERE position > 99990"
                " ORDER BY position LIMIT 1000"
            )
        )

    # then it reads the position index, not every row
    assert "rm_partners_by_position" in plan, plan
    assert "Seq Scan" not in plan, plan
