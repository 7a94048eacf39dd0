"""Comparing read models, and building the ones a store's history should give."""

from __future__ import annotations

import json
from pathlib import Path

from consumers.read_side.rebuild import store_history
from projections.storage.schema import LIVE, select_chain, select_entries, select_partners
from projections.storage.store import ReadModelStore
from registry.adapters.sqldb_sqlite import SqliteDatabase
from registry.service.application import PartnerRegistry


def dump(store: ReadModelStore) -> bytes:
    """Every row of both read models and the chain head, as bytes."""
    with store.transaction() as tx:
        partners = tx.execute(select_partners(LIVE, "ORDER BY partner_id"))
        entries = tx.execute(select_entries(LIVE, "ORDER BY sequence"))
        chain = tx.execute(select_chain(LIVE))
    rows = {"partners": partners, "entries": entries, "chain": chain}
    return json.dumps(rows, default=str, ensure_ascii=False, sort_keys=True).encode()


def expected_dump(registry: PartnerRegistry, folder: Path) -> bytes:
    """The read models the store's history should give, built straight from the store."""
    store = ReadModelStore(SqliteDatabase(str(folder / "expected.sqlite3")))
    store.setup()
    store.rebuild(store_history(registry), {})
    try:
        return dump(store)
    finally:
        store.close()
