"""Witnesses run by outside bodies cosign the log's checkpoints, and a split view is caught.

The witnesses are real ``partner-registry witness`` processes on their own
ports, each with its own key and memory; the registry reaches them over
HTTP, as it would reach the state audit board's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from confluent_kafka import Producer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from consumers.relay.witnessing import WitnessCollector
from infra.local.broker import LocalBroker
from registry.adapters.witness_store import WitnessStore
from registry.api.app import create_app
from registry.bootstrap import (
    build_log_store,
    build_relay,
    build_witness_collector,
    open_database,
)
from registry.config import Settings
from registry.record import note
from registry.record.cosignature import cosigned_by, cosigner_of
from registry.record.merkle import leaf_hash, node_hash
from registry.record.messages import encode_witnessed, is_witnessed
from registry.record.signing import load_key, load_or_create_key
from registry.record.tree_head import TreeHead, parse
from registry.record.witness_protocol import AddCheckpoint
from registry.service.application import PartnerRegistry
from tests.histories import more_events, scripted_history
from tests.kafka_helpers import (
    TopicReader,
    outsider,
    relay_settings,
    serving_api,
    wait_for,
)
from tests.witnesses import RunningWitness, running_witness

pytestmark = pytest.mark.postgres


@pytest.fixture
def log_vkey(postgres_url: str, broker: LocalBroker) -> str:
    settings = relay_settings(postgres_url, broker.bootstrap_servers)
    key = load_or_create_key(Path(settings.signing_key_file))
    return note.verifier_of(settings.log_origin, key.public_key()).vkey


@pytest.fixture
def witnesses(tmp_path: Path, log_vkey: str) -> Iterator[list[RunningWitness]]:
    with (
        running_witness("audit-board.example/witness", tmp_path, log_vkey) as first,
        running_witness("university.example/witness", tmp_path, log_vkey) as second,
    ):
        yield [first, second]


@pytest.fixture
def witnessed(
    postgres_url: str, broker: LocalBroker, pg_writer: PartnerRegistry,
    witnesses: list[RunningWitness],
) -> tuple[Settings, int]:  # fmt: skip
    """A published history cosigned by both witnesses, served with a quorum of two."""
    settings = settings_with(postgres_url, broker, *witnesses, quorum=2)
    scripted_history(pg_writer)
    size = publish(settings, pg_writer)
    collect(settings)
    return settings, size


def settings_with(postgres_url: str, broker: LocalBroker, *named: RunningWitness,
                  quorum: int = 0) -> Settings:  # fmt: skip
    return relay_settings(
        postgres_url, broker.bootstrap_servers,
        log_witnesses=",".join(w.endpoint for w in named), log_witness_quorum=quorum,
    )  # fmt: skip


def publish(settings: Settings, writer: PartnerRegistry) -> int:
    relay = build_relay(settings, writer)
    relay.drain()
    relay.close()
    log_store = build_log_store(settings)
    latest = log_store.latest()
    log_store.close()
    assert latest is not None
    return latest[0]


def served_checkpoint(settings: Settings) -> str:
    with TestClient(create_app(settings)) as api:
        response = api.get("/log/checkpoint")
    assert response.status_code == 200, response.text
    return str(response.text)


@contextmanager
def collector_for(settings: Settings) -> Iterator[WitnessCollector]:
    collector = build_witness_collector(settings)
    assert collector is not None
    try:
        yield collector
    finally:
        collector.close()


def collect(settings: Settings) -> int:
    with collector_for(settings) as collector:
        return collector.collect()


def test_the_published_checkpoint_carries_every_witness_cosignature_and_follows_the_log(
    postgres_url: str, broker: LocalBroker, pg_writer: PartnerRegistry,
    witnesses: list[RunningWitness], log_vkey: str,
) -> None:  # fmt: skip
    # Given a published history and two witnesses
    settings = settings_with(postgres_url, broker, *witnesses, quorum=2)
    scripted_history(pg_writer)
    first_size = publish(settings, pg_writer)

    # When the registry collects cosignatures, then again after more records
    assert collect(settings) == 2
    first = served_checkpoint(settings)
    more_events(pg_writer, 5)
    grown = publish(settings, pg_writer)
    with collector_for(settings) as collector:
        assert collector.collect() == 2  # the witnesses' sizes learnt from their 409 answers
    second = served_checkpoint(settings)

    # Then each served checkpoint is the log's, cosigned by both witnesses, at the newest size
    pinned = [w.cosigner for w in witnesses]
    for checkpoint, size in ((first, first_size), (second, grown)):
        text, _ = note.open_note(checkpoint, [note.parse_vkey(log_vkey)])
        assert parse(text).size == size
        assert cosigned_by(checkpoint, pinned) == pinned
    assert grown > first_size


def test_a_second_history_of_the_same_size_is_refused_and_kept_as_evidence(
    postgres_url: str, broker: LocalBroker, pg_writer: PartnerRegistry,
    witnesses: list[RunningWitness], tmp_path: Path,
) -> None:  # fmt: skip
    # Given a witnessed checkpoint
    settings = settings_with(postgres_url, broker, *witnesses)
    scripted_history(pg_writer)
    size = publish(settings, pg_writer)
    collect(settings)

    # When the log's key signs another tree of that size (a view shown to someone else)
    key = load_key(Path(settings.signing_key_file))
    other_root = node_hash(leaf_hash(b"another history"), leaf_hash(b"of the same size"))
    text = TreeHead(settings.log_origin, size, other_root).body()
    forked = note.signed_note(text, [note.sign(text, settings.log_origin, key)])
    answer = httpx.post(f"{witnesses[0].url}/add-checkpoint",
                        content=AddCheckpoint(size, (), forked).body())  # fmt: skip

    # Then the witness refuses it, naming the size it cosigned, and keeps the forked note
    assert answer.status_code == 409
    assert answer.headers["content-type"].startswith("text/x.tlog.size")
    assert answer.text == f"{size}\n"
    assert witnesses[0].process.logged("checkpoint refused")
    memory = WitnessStore(
        open_database(f"sqlite:///{tmp_path / 'audit-board.example_witness.sqlite3'}", settings)
    )
    assert [(e[1], e[2]) for e in memory.evidence()] == [(size, forked)]
    memory.close()
    assert cosigned_by(served_checkpoint(settings), [w.cosigner for w in witnesses]) == [
        w.cosigner for w in witnesses
    ]


def test_a_witness_that_is_away_is_asked_again_and_the_quorum_checkpoint_waits_for_it(
    postgres_url: str, broker: LocalBroker, pg_writer: PartnerRegistry,
    witnesses: list[RunningWitness], tmp_path: Path, log_vkey: str,
) -> None:  # fmt: skip
    # Given both witnesses cosigned the first history
    settings = settings_with(postgres_url, broker, *witnesses, quorum=2)
    scripted_history(pg_writer)
    first_size = publish(settings, pg_writer)
    with collector_for(settings) as collector:
        assert collector.collect() == 2

        # When one witness is away while the log grows
        away = witnesses[1]
        port = int(away.url.rsplit(":", 1)[1])
        away.process.stop()
        more_events(pg_writer, 5)
        grown = publish(settings, pg_writer)
        assert collector.collect() == 1

        # Then the checkpoint served to a quorum of two stays at the last one both cosigned
        assert _served_size(settings) == first_size

        # And when the witness is back (same key, same memory), it catches up
        with running_witness(away.name, tmp_path, log_vkey, port=port):
            wait_for(lambda: collector.collect() > 0 or _served_size(settings) == grown, 30)
    assert _served_size(settings) == grown


def _served_size(settings: Settings) -> int:
    return parse(note.split(served_checkpoint(settings))[0]).size


def test_an_auditor_requiring_both_witnesses_replays_the_witnessed_log_from_its_tiles(
    witnessed: tuple[Settings, int], broker: LocalBroker, witnesses: list[RunningWitness],
    log_vkey: str, tmp_path: Path,
) -> None:  # fmt: skip
    # Given a log cosigned by both witnesses, served with a quorum of two
    settings, _ = witnessed
    pinned = [arg for w in witnesses for arg in ("--witness", w.cosigner.vkey)]
    stranger = cosigner_of("stranger.example/witness", Ed25519PrivateKey.generate().public_key())

    # When an auditor pins the log's key and both witnesses, then a third nobody asked
    with serving_api(settings, LOG_WITNESSES=settings.log_witnesses or "",
                     LOG_WITNESS_QUORUM="2") as url:  # fmt: skip
        both = outsider(tmp_path / "auditor", "audit", "replay", "--url", url,
                        "--log-vkey", log_vkey, *pinned)  # fmt: skip
        three = outsider(tmp_path / "auditor", "audit", "replay", "--url", url,
                         "--log-vkey", log_vkey, *pinned, "--witness", stranger.vkey)  # fmt: skip

        from_topic = outsider(tmp_path / "auditor", "audit", "replay", "--log-vkey", log_vkey,
                              *pinned, KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap_servers)  # fmt: skip

    # Then the witnessed log is whole, from its tiles and from the topics, and a quorum it
    # lacks is named
    assert both.returncode == 0, both.stdout + both.stderr
    assert from_topic.returncode == 0, from_topic.stdout + from_topic.stderr
    assert three.returncode == 6
    assert "cosigned by 2 of the 3 witnesses required" in three.stdout


def test_the_witnessed_checkpoint_is_published_on_the_checkpoints_topic_and_a_forked_one_is_named(
    witnessed: tuple[Settings, int], broker: LocalBroker, log_vkey: str, tmp_path: Path
) -> None:
    # Given a log cosigned by both witnesses
    settings, size = witnessed

    # When a consumer reads the checkpoints topic
    reader = TopicReader(broker.bootstrap_servers, "partner-checkpoints")
    records = reader.poll_until(lambda rs: any(is_witnessed(r.headers) for r in rs))
    on_topic = [r for r in records if is_witnessed(r.headers)]

    # Then it holds the checkpoint the API serves, cosigned, keyed by its size
    assert [(r.key, r.value.decode()) for r in on_topic] == [
        (str(size).encode(), served_checkpoint(settings))
    ]

    # And when someone publishes there a checkpoint the log's key signed for another tree
    key = load_key(Path(settings.signing_key_file))
    text = TreeHead(settings.log_origin, size - 1, bytes(range(32))).body()
    forked = note.signed_note(text, [note.sign(text, settings.log_origin, key)])
    producer = Producer({"bootstrap.servers": broker.bootstrap_servers})
    message = encode_witnessed(forked, size - 1, source="urn:forger", time="2026-11-29T00:00:00Z")
    producer.produce("partner-checkpoints", key=message.key, value=message.value,
                     headers=list(message.headers))  # fmt: skip
    assert producer.flush(30) == 0

    # Then an auditor with the topics and the keys names the split view at its size
    result = outsider(tmp_path / "auditor", "audit", "replay", "--log-vkey", log_vkey,
                      KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap_servers)  # fmt: skip
    assert result.returncode == 6
    assert f"First bad sequence: {size - 1} (split_view)" in result.stdout
