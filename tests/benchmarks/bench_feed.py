"""Serving the current-partners feed with 10,000 partners, against the same bytes as a static file.

Both are served by the same uvicorn process: the registry's feed route
(with ETag and Last-Modified from an in-memory cache, its parts read from
the feed folder) and Starlette's StaticFiles serving the same bytes as one
file. Load comes from wrk.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import cast
from uuid import uuid4

import httpx
from pydantic import SecretStr

from consumers.parts.wakeups import PollingBackoff
from consumers.read_side.feed_publisher import FeedPublisher
from infra.local.broker import free_port
from registry.bootstrap import build_read_models
from registry.config import Settings
from registry.record.chain import GENESIS, canonical_json, chain_hash_of_canonical
from registry.record.messages import PublishedEvent
from registry.service.records import PublicRecord
from tests.benchmarks.common import Result, Target, wait_until_serving
from tests.builders import records_of, registered
from tests.feed_helpers import published


def partners(count: int) -> list[PublishedEvent]:
    """``count`` registrations, numbered and chained."""
    template = records_of(registered())[0]
    events, previous = [], GENESIS
    for sequence in range(1, count + 1):
        data = template["data"] | {"name": f"Platform {sequence:05d} {uuid4().hex[:6]}"}
        record = cast(PublicRecord, template | {"partner_id": str(uuid4()), "data": data})
        body = canonical_json(record)
        previous = chain_hash_of_canonical(previous, body)
        events.append(PublishedEvent(record, sequence, sequence, previous, body))
    return events


def wrk(url: str, *headers: str) -> tuple[float, str]:
    """Requests per second, and wrk's report."""
    command = ["wrk", "-t2", "-c32", "-d8s", "--latency", url]
    for header in headers:
        command[1:1] = ["-H", header]
    report = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", report)
    return (float(found.group(1)) if found else 0.0), report


def run(database_url: str, folder: Path, count: int) -> list[Result]:
    if shutil.which("wrk") is None:
        raise RuntimeError("install wrk (Debian package wrk) for the feed benchmark")
    settings = Settings(database_url=SecretStr(database_url), feed_dir=str(folder))
    store = build_read_models(settings)
    store.rebuild(iter(partners(count)), {})
    FeedPublisher(store, folder, "http://bench", PollingBackoff(), date.today).publish()
    store.close()
    static_dir = folder.parent / f"{folder.name}-static"
    static_dir.mkdir(exist_ok=True)
    (static_dir / "current-partners.json").write_bytes(
        published(folder, "current-partners.json") or b""
    )
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "FEED_DIR": str(folder),
        "FEED_STATIC_DIR": str(static_dir),
        "LOG_LEVEL": "warning",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "tests.benchmarks.feed_app:app",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base)
        feed = httpx.get(f"{base}/feeds/current-partners.json")
        static = httpx.get(f"{base}/static/current-partners.json")
        assert feed.content == static.content
        unchanged = httpx.get(f"{base}/feeds/current-partners.json",
                              headers={"If-None-Match": feed.headers["etag"]})  # fmt: skip
        ours, _ = wrk(f"{base}/feeds/current-partners.json")
        raw, _ = wrk(f"{base}/static/current-partners.json")
        conditional, _ = wrk(
            f"{base}/feeds/current-partners.json", f"If-None-Match: {feed.headers['etag']}"
        )
    finally:
        server.terminate()
        server.wait(15)
    return [
        Result(f"feed JSON, {count:,} partners, vs static file", ours, raw, "req/s", Target(ratio=0.8),
               notes={"bytes": len(feed.content), "conditional_status": unchanged.status_code,
                      "conditional_body_bytes": len(unchanged.content),
                      "conditional_req_per_s": round(conditional, 1)}),
    ]  # fmt: skip
