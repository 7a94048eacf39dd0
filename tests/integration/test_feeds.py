"""The public feeds: written atomically from the read models whenever the register changes."""

from __future__ import annotations

import csv
import io
import json
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from consumers.read_side.rebuild import store_history
from infra.local.broker import LocalBroker
from projections.feeds import render_csv, render_json
from projections.storage.store import ReadModelStore
from registry.api.feed_files import FEEDS
from registry.bootstrap import build_feed_publisher
from registry.config import Settings
from registry.domain.commands import RegisterPartner, TerminatePartner, WarnPartner
from registry.domain.criteria import Criterion
from registry.service.application import PartnerRegistry
from registry.service.clock import today_in
from tests.builders import NEXT_MONTH, decision, platform
from tests.feed_helpers import published, published_json
from tests.histories import more_events, scripted_history, stored_records
from tests.kafka_helpers import relay_settings, running_projection, running_relay, wait_for

pytestmark = pytest.mark.postgres

ATOM = "{http://www.w3.org/2005/Atom}"


def feed_settings(database_url: str, broker: LocalBroker, folder: Path) -> Settings:
    return relay_settings(
        database_url, broker.bootstrap_servers, feed_dir=str(folder),
        public_base_url="https://register.example",
    )  # fmt: skip


def test_feeds_describe_the_current_partners_in_every_format(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry, tmp_path: Path
) -> None:
    scripted_history(writer)
    writer.register(RegisterPartner(platform(name='=HYPERLINK("x")'), decision()))
    settings = feed_settings(database_url, broker, tmp_path / "feeds")
    with running_relay(settings), running_projection(settings) as store:
        wait_for(lambda: store.chain_head().sequence == len(stored_records(writer)))
        written = build_feed_publisher(settings, store).publish()
        again = build_feed_publisher(settings, store).publish()

    folder = tmp_path / "feeds"
    document = published_json(folder)
    schema = published_json(folder, "current-partners.schema.json")
    Draft202012Validator(schema, format_checker=FormatChecker()).validate(document)
    assert document["count"] == 5
    assert {p["status"] for p in document["partners"]} == {"active", "warned"}
    assert document["chain_head"]["sequence"] == len(stored_records(writer))
    rows = list(csv.DictReader(io.StringIO(text(folder, "current-partners.csv"))))
    dictionary = published_json(folder, "current-partners.csv-metadata.json")
    assert list(rows[0]) == [c["name"] for c in dictionary["tableSchema"]["columns"]]
    assert sorted(r["partner_id"] for r in rows) == sorted(
        p["partner_id"] for p in document["partners"]
    )
    assert '\'=HYPERLINK("x")' in [r["name"] for r in rows]
    atom = ET.fromstring(text(folder, "changes.atom"))
    entries = atom.findall(f"{ATOM}entry")
    assert len(entries) == len(stored_records(writer))
    assert entries[0].findtext(f"{ATOM}title") == '=HYPERLINK("x"): Registered'
    link = entries[0].find(f"{ATOM}link")
    assert link is not None
    assert link.get("href", "").startswith("https://register.example/register/")
    assert sorted(written) == sorted(FEEDS)
    assert again == []
    assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


def test_the_publisher_rewrites_the_feed_when_the_register_changes(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry, tmp_path: Path
) -> None:
    settings = feed_settings(database_url, broker, tmp_path / "feeds")
    folder = tmp_path / "feeds"
    stop = threading.Event()
    with running_relay(settings), running_projection(settings) as store:
        publisher = build_feed_publisher(settings, store)
        thread = threading.Thread(target=publisher.run, args=(stop,), daemon=True)
        thread.start()
        wait_for(lambda: published_json(folder) is not None)

        writer.register(RegisterPartner(platform(name="Newly Listed"), decision()))

        wait_for(lambda: "Newly Listed" in text(folder, "current-partners.json"), timeout=30)
        stop.set()
        thread.join(timeout=10)
    assert published_json(folder)["count"] == 1


def test_a_publisher_rendering_only_what_changed_gives_the_whole_feed_through_changes_and_a_rebuild(
    database_url: str, broker: LocalBroker, writer: PartnerRegistry, tmp_path: Path
) -> None:
    # Given a publisher that rendered the register once
    ids = scripted_history(writer)
    settings = feed_settings(database_url, broker, tmp_path / "feeds")
    with running_relay(settings), running_projection(settings) as store:
        wait_for(lambda: store.chain_head().sequence == len(stored_records(writer)))
        publisher = build_feed_publisher(settings, store)
        publisher.publish()

        # When partners it rendered change (a warning, a termination) and others arrive
        writer.warn(WarnPartner(ids[1], decision(), deadline=NEXT_MONTH,
                                criterion=Criterion.TECHNOLOGY))  # fmt: skip
        writer.terminate(TerminatePartner(ids[2], decision(reason="Breach not remedied")))
        more_events(writer, 2)
        wait_for(lambda: store.chain_head().sequence == len(stored_records(writer)))
        after_changes = publisher.render()
        changed_full = full_feeds(store)

        # And when the read models are rebuilt and the register changes again
        store.rebuild(store_history(writer), {})
        more_events(writer, 1)
        wait_for(lambda: store.chain_head().sequence == len(stored_records(writer)))
        after_rebuild = publisher.render()
        rebuilt_full = full_feeds(store)

    # Then each time its feeds are those rendered from every row
    assert feeds_of(after_changes) == changed_full
    assert feeds_of(after_rebuild) == rebuilt_full
    assert json.loads(after_rebuild["current-partners.json"])["count"] == 5 - 2 + 2 + 1


def full_feeds(store: ReadModelStore) -> tuple[bytes, bytes]:
    rows = store.partners()
    head, root = store.head_with_root()
    today = today_in(Settings().registry_timezone)()
    return render_json(rows, head, today, root), render_csv(rows, today)


def feeds_of(rendered: dict[str, bytes]) -> tuple[bytes, bytes]:
    return rendered["current-partners.json"], rendered["current-partners.csv"]


def text(folder: Path, name: str) -> str:
    return (published(folder, name) or b"").decode()
