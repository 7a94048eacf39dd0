"""The feed publisher waits out read models whose chain head is missing, instead of crashing."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest
from structlog.testing import capture_logs

from projections.storage.schema import LIVE
from registry.bootstrap import build_feed_publisher, build_read_models
from registry.config import Settings
from registry.record.chain import GENESIS
from tests.feed_helpers import published_head
from tests.kafka_helpers import wait_for

pytestmark = pytest.mark.postgres


def test_read_models_caught_mid_swap_are_waited_out_and_the_feeds_published_after(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings.model_validate({"database_url": postgres_url, "feed_dir": str(tmp_path)})
    store = build_read_models(settings)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DELETE FROM {LIVE.chain}")  # noqa: S608
    publisher = build_feed_publisher(settings, store)
    stop = threading.Event()
    running = threading.Thread(target=publisher.run, args=(stop,))

    with capture_logs() as logs:
        running.start()
        try:
            wait_for(lambda: any(e["event"] == "feeds not published; will retry" for e in logs))
            unpublished = published_head(tmp_path)
            with psycopg.connect(postgres_url, autocommit=True) as conn:
                conn.execute(
                    f"INSERT INTO {LIVE.chain} (id, sequence, chain_hash) VALUES (1, 0, %s)",  # noqa: S608
                    (GENESIS,),
                )
            wait_for(lambda: published_head(tmp_path) == 0)
        finally:
            stop.set()
            running.join(10)
    store.close()

    assert unpublished == -1
    assert not running.is_alive()
    assert any("chain head is missing" in str(e.get("error")) for e in logs)
