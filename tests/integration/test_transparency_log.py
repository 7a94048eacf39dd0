"""The relay keeps the public record as a signed transparency log, served over HTTP.

Every record on the events topic carries the C2SP checkpoint of the tree it
ends, signed with the relay's key; the API serves the latest checkpoint, the
verifier key, the tiles and the proofs, and they all agree with the records.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from infra.local.broker import LocalBroker
from registry.adapters.log_store import LogStore
from registry.api.app import create_app
from registry.bootstrap import build_feed_publisher, build_relay, open_database
from registry.config import Settings
from registry.record import merkle, note, tiles
from registry.record.chain import canonical_json
from registry.record.signing import load_key
from registry.record.tree_head import parse
from registry.service.application import PartnerRegistry
from tests.histories import more_events, scripted_history, stored_records
from tests.kafka_helpers import TopicReader, relay_settings, running_projection, wait_for

pytestmark = pytest.mark.postgres


def drain(settings: Settings, writer: PartnerRegistry) -> None:
    relay = build_relay(settings, writer)
    relay.drain()
    relay.close()


def the_verifier(settings: Settings) -> note.Verifier:
    key = load_key(Path(settings.signing_key_file))
    return note.verifier_of(settings.log_origin, key.public_key())


def leaves_of(writer: PartnerRegistry) -> list[bytes]:
    return [canonical_json(record) for _, record in stored_records(writer)]


@pytest.fixture
def settings(postgres_url: str, broker: LocalBroker) -> Settings:
    return relay_settings(postgres_url, broker.bootstrap_servers)


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def test_every_record_carries_the_signed_head_of_the_log_it_ends(
    settings: Settings, broker: LocalBroker, pg_writer: PartnerRegistry
) -> None:
    # Given a history published by the relay
    scripted_history(pg_writer)
    drain(settings, pg_writer)
    leaves = leaves_of(pg_writer)

    # When a consumer reads the topic
    reader = TopicReader(broker.bootstrap_servers, "partner-events")
    reader.poll_until(lambda rs: len(rs) >= len(leaves))
    events = sorted(reader.events(), key=lambda e: e.sequence)

    # Then each record's checkpoint opens with the relay's key and ends the tree at it
    tree = merkle.MemoryTree()
    for event in events:
        tree.append(merkle.leaf_hash(canonical_json(event.record)))
        text, _ = note.open_note(event.checkpoint, [the_verifier(settings)])
        head = parse(text)
        assert (head.origin, head.size) == (settings.log_origin, event.sequence)
        assert head.root_hash == merkle.root(tree, event.sequence)
    assert len(events) == len(leaves)


def test_the_log_survives_a_new_relay_and_serves_heads_tiles_and_proofs(
    settings: Settings, pg_writer: PartnerRegistry, api: TestClient
) -> None:
    # Given 300 records published by one relay, then more by another (as after a restart)
    more_events(pg_writer, 150)
    drain(settings, pg_writer)
    more_events(pg_writer, 150)
    drain(settings, pg_writer)
    leaves = leaves_of(pg_writer)
    size = len(leaves)
    tree = merkle.MemoryTree([merkle.leaf_hash(leaf) for leaf in leaves])

    # When an outsider fetches the checkpoint, the key, the tiles and proofs
    vkeys = api.get("/log/vkey").text.splitlines()
    text, _ = note.open_note(api.get("/log/checkpoint").text, [note.parse_vkey(vkeys[0])])
    head = parse(text)
    fetched = {path: api.get(f"/log/{path}") for path in tiles.hash_tiles(tree, size)}
    bundle = api.get(f"/log/{tiles.entries_path(1, size - 256)}")
    inclusion = api.get("/log/proof/inclusion", params={"index": 260}).json()
    consistency = api.get("/log/proof/consistency", params={"old": 150}).json()

    # Then all of it agrees with the records in the store
    assert (head.size, head.root_hash) == (size, merkle.root(tree, size))
    assert {p: r.content for p, r in fetched.items()} == tiles.hash_tiles(tree, size)
    assert fetched["tile/0/000"].headers["cache-control"].endswith("immutable")
    assert tiles.bundle_entries(bundle.content) == leaves[256:]
    merkle.verify_inclusion(
        merkle.leaf_hash(leaves[260]), 260, size,
        [base64.b64decode(h) for h in inclusion["proof"]], head.root_hash,
    )  # fmt: skip
    merkle.verify_consistency(
        150, size, merkle.root(tree, 150), head.root_hash,
        [base64.b64decode(h) for h in consistency["proof"]],
    )  # fmt: skip


def test_tiles_and_trees_the_log_does_not_hold_are_not_found(
    settings: Settings, pg_writer: PartnerRegistry, api: TestClient
) -> None:
    # Given an empty log, nothing is signed yet
    assert api.get("/log/checkpoint").status_code == 404

    # Given a log of 10 records
    more_events(pg_writer, 10)
    drain(settings, pg_writer)

    # Then tiles beyond it, malformed paths and trees larger than it are not found
    for path in ("tile/0/000", "tile/0/000.p/11", "tile/1/000.p/1", "tile/0/1", "tile/0/000.p/0"):
        answer = api.get(f"/log/{path}")
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert api.get("/log/tile/0/000.p/10").status_code == 200
    assert api.get("/log/proof/inclusion", params={"index": 3, "size": 11}).status_code == 404
    assert api.get("/log/proof/inclusion", params={"index": 10}).status_code == 404


def test_the_feed_states_the_signed_tree_it_was_built_from(
    settings: Settings, pg_writer: PartnerRegistry, api: TestClient
) -> None:
    # Given a history published, signed and applied to the read models
    scripted_history(pg_writer, partners=3)
    drain(settings, pg_writer)
    total = len(leaves_of(pg_writer))
    with running_projection(settings) as store:
        wait_for(lambda: store.chain_head().sequence == total)

        # When the feed is built from the read models
        feed = json.loads(build_feed_publisher(settings, store).render()["current-partners.json"])

    # Then it names the tree of the log's latest signed checkpoint, root and all
    text, _ = note.open_note(api.get("/log/checkpoint").text, [the_verifier(settings)])
    head = parse(text)
    assert feed["log"] == {"tree_size": head.size,
                           "root_hash": base64.b64encode(head.root_hash).decode()}  # fmt: skip
    assert head.size == total


def test_a_batch_kept_again_after_a_crash_keeps_the_new_rows_and_changes_none_of_the_old(
    database_url: str,
) -> None:
    # Given a log that kept ten leaves and their subtrees
    store = LogStore(open_database(database_url, Settings()))
    store.setup()
    leaves = [f"leaf {i}".encode() for i in range(15)]
    frontier = merkle.Frontier()
    nodes = [node for leaf in leaves[:10] for node in frontier.append(merkle.leaf_hash(leaf))]
    store.append(0, leaves[:10], nodes, 10, "note of 10\n")

    # When a relay that crashed before saving its position sends the last five again with
    # five new ones (their subtrees partly known)
    more = [node for leaf in leaves[10:] for node in frontier.append(merkle.leaf_hash(leaf))]
    store.append(5, leaves[5:], nodes[-4:] + more, 15, "note of 15\n")

    # Then the log holds each leaf once, and the tree of all fifteen
    assert store.leaves(0, 20) == leaves
    assert store.latest() == (15, "note of 15\n")
    assert store.subtree(0, 14) == merkle.leaf_hash(leaves[14])
    store.close()
