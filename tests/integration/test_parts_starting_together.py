"""Parts of the registry started at the same moment against one database."""

from __future__ import annotations

import threading

import pytest
from pydantic import SecretStr

from registry.bootstrap import build_registry
from registry.config import Settings

pytestmark = pytest.mark.postgres

PARTS = 8


def test_parts_opening_the_event_store_together_all_start(postgres_url: str) -> None:
    # given a new database, and then one with the tables in place
    settings = Settings(database_url=SecretStr(postgres_url))
    failures: list[BaseException] = []

    def open_and_close(start: threading.Barrier) -> None:
        start.wait()
        try:
            build_registry(settings).close()
        except Exception as error:
            failures.append(error)

    for _ in range(3):
        # when eight parts open the event store at the same moment
        start = threading.Barrier(PARTS)
        parts = [threading.Thread(target=open_and_close, args=(start,)) for _ in range(PARTS)]
        for part in parts:
            part.start()
        for part in parts:
            part.join(timeout=60)

    # then every one of them started (each failure would be listed here)
    assert failures == []
