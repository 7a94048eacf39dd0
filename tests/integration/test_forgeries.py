"""Records nobody signed never reach the read models, and never stop the runner.

The forgeries are produced with confluent-kafka (librdkafka), a client the
project does not use, as anyone with write access to the topic could.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from confluent_kafka import Producer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from consumers.messaging.broker import new_reader
from consumers.parts.health import DEGRADED, instances
from consumers.read_side.rebuild import topic_history
from infra.local.broker import LocalBroker
from projections.storage.store import ReadModelStore
from registry.bootstrap import (
    build_health,
    build_projection_runner,
    build_read_models,
    log_verifiers,
)
from registry.config import Settings
from registry.record import merkle, note
from registry.record.chain import canonical_json, chain_hash
from registry.record.messages import PublishedEvent, encode_event
from registry.record.public_record import START, read_after
from registry.record.signing import load_key
from registry.record.tree_head import TreeHead
from registry.service.application import PartnerRegistry
from tests.histories import more_events, scripted_history, stored_records
from tests.kafka_helpers import (
    TopicReader,
    in_a_thread,
    outsider,
    relay_settings,
    running_projection,
    running_relay,
    wait_for,
)

pytestmark = pytest.mark.postgres


def produce_foreign(settings: Settings, events: list[PublishedEvent]) -> None:
    """Write records to the events topic with a producer that is not the project's."""
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap_servers})
    for event in events:
        message = encode_event(event, source="urn:forger")
        headers: list[tuple[str, str | bytes | None]] = list(message.headers)
        producer.produce("partner-events", key=message.key, value=message.value, headers=headers)
    assert producer.flush(30) == 0


def published(settings: Settings) -> list[PublishedEvent]:
    reader = TopicReader(settings.kafka_bootstrap_servers or "", "partner-events")
    reader.poll_until(lambda rs: len(rs) > 0)
    return sorted(reader.events(), key=lambda e: e.sequence)


def dead_letters(settings: Settings, count: int) -> list[dict[str, str]]:
    reader = TopicReader(settings.kafka_bootstrap_servers or "", "partner-events-dead-letter")
    records = reader.poll_until(lambda rs: len(rs) >= count)
    return [{n: (v or b"").decode() for n, v in r.headers} for r in records]


def register_and_partners(store: ReadModelStore) -> tuple[int, list[object]]:
    return store.chain_head().sequence, [r.to_json() for r in store.partners()]


def signed_as_the_relay_would(settings: Settings, registry: PartnerRegistry) -> PublishedEvent:
    """The store's newest event as the relay will publish it, signed with the relay's key."""
    events, _ = read_after(registry, START, 100_000)
    frontier = merkle.Frontier()
    for event in events:
        frontier.append(merkle.leaf_hash(canonical_json(event.record)))
    body = TreeHead(settings.log_origin, events[-1].sequence, frontier.root()).body()
    key = load_key(Path(settings.signing_key_file))
    return dataclasses.replace(
        events[-1], checkpoint=note.signed_note(body, [note.sign(body, settings.log_origin, key)])
    )


def refused_then_genuine_applied(
    settings: Settings, running: ReadModelStore, genuine: PublishedEvent, reason: str,
    before: tuple[int, list[object]],
) -> None:  # fmt: skip
    """The forgery was dead-lettered, nothing changed, and the relay's genuine record wins."""
    letters = dead_letters(settings, 1)
    assert letters[0]["dlq_reason"] == reason
    assert f"sequence {genuine.sequence}" in letters[0]["dlq_detail"]
    assert register_and_partners(running) == before
    with running_relay(settings):
        wait_for(lambda: running.chain_head().sequence == genuine.sequence)
    entry = running.entry_at(genuine.sequence)
    assert entry is not None
    assert json.loads(entry.body)["reason"] == genuine.record["reason"]


@contextmanager
def reporting_runner(settings: Settings, writer: PartnerRegistry) -> Iterator[ReadModelStore]:
    """A short genuine history, and a runner in a thread that beats its health."""
    scripted_history(writer, partners=2)
    store = build_read_models(settings)
    health = build_health(settings, "project")
    health.started()
    runner = build_projection_runner(settings, store, health)
    try:
        with in_a_thread(runner.run):
            yield store
    finally:
        store.close()


@pytest.fixture
def settings(postgres_url: str, broker: LocalBroker) -> Settings:
    return relay_settings(postgres_url, broker.bootstrap_servers)


@pytest.fixture
def running(settings: Settings, pg_writer: PartnerRegistry) -> Iterator[ReadModelStore]:
    """A genuine history published by the relay and applied by a runner."""
    scripted_history(pg_writer, partners=4)
    total = len(stored_records(pg_writer))
    with running_projection(settings) as store:
        with running_relay(settings):
            wait_for(lambda: store.chain_head().sequence == total)
        yield store


def test_an_altered_record_ahead_of_the_genuine_is_refused_and_the_genuine_then_applied(
    settings: Settings, running: ReadModelStore, pg_writer: PartnerRegistry
) -> None:
    # Given a new event in the store, not yet published, and an altered copy of it that
    # keeps its genuine signed checkpoint and chain hash, produced before the relay runs
    before = register_and_partners(running)
    more_events(pg_writer, 1)
    genuine = signed_as_the_relay_would(settings, pg_writer)
    altered = dataclasses.replace(
        genuine,
        record=dict(genuine.record) | {"reason": "altered in flight"},  # type: ignore[arg-type]
        canonical=b"",
    )
    produce_foreign(settings, [altered])

    # Then it is refused as a chain break, not kept, the public sees nothing of it,
    # and the genuine record, once published, takes its place
    refused_then_genuine_applied(settings, running, genuine, "chain_break", before)


def test_unsigned_records_at_the_head_and_beyond_are_dead_lettered_and_change_nothing(
    settings: Settings, running: ReadModelStore
) -> None:
    # Given the genuine log applied, and what the public sees of it
    before = register_and_partners(running)
    last = published(settings)[-1]
    head = last.sequence

    # When a forger appends a correctly chained termination at head + 1 and one at head + 2,
    # without the relay's key
    forged_record = dict(last.record) | {"type": "Terminated", "reason": "forged",
                                         "version": last.record["version"] + 1, "data": {}}  # fmt: skip
    at_next = dataclasses.replace(
        last, record=forged_record, sequence=head + 1,  # type: ignore[arg-type]
        chain_hash=chain_hash(last.chain_hash, forged_record), checkpoint="",
    )  # fmt: skip
    beyond = dataclasses.replace(at_next, sequence=head + 2, checkpoint=last.checkpoint)
    produce_foreign(settings, [at_next, beyond])

    # Then both are dead-lettered with the reason and their sequence
    letters = dead_letters(settings, 2)
    assert {(h["dlq_reason"], str(s)) for h, s in zip(letters, (head + 1, head + 2), strict=True)
            if str(s) in h["dlq_detail"]} == {("unsigned", str(head + 1)),
                                              ("misplaced", str(head + 2))}  # fmt: skip
    # And nothing the public sees changed
    assert register_and_partners(running) == before


def test_an_altered_copy_of_a_signed_record_is_refused_and_the_genuine_log_goes_on(
    settings: Settings, running: ReadModelStore, pg_writer: PartnerRegistry
) -> None:
    # Given the genuine log applied
    genuine = published(settings)
    before = register_and_partners(running)

    # When a forger re-sends record 3 rewritten, with its genuine signed checkpoint
    # and the chain recomputed, then more genuine records are written
    victim = genuine[2]
    altered = dict(victim.record) | {"reason": "quietly rewritten"}
    forged = dataclasses.replace(victim, record=altered,  # type: ignore[arg-type]
                                 chain_hash=chain_hash(genuine[1].chain_hash, altered))  # fmt: skip
    produce_foreign(settings, [forged])
    more_events(pg_writer, 3)
    total = len(stored_records(pg_writer))
    with running_relay(settings):
        wait_for(lambda: running.chain_head().sequence == total)

    # Then it is dead-lettered as a conflict, the runner goes on, and record 3 is the genuine
    letters = dead_letters(settings, 1)
    assert letters[0]["dlq_reason"] == "conflict"
    assert "sequence 3" in letters[0]["dlq_detail"]
    entry = running.entry_at(3)
    assert entry is not None
    assert json.loads(entry.body)["reason"] == victim.record["reason"]
    assert register_and_partners(running)[1] != before[1]  # the new genuine records applied


def test_a_record_of_another_log_key_is_refused(
    settings: Settings, running: ReadModelStore
) -> None:
    # Given a forger with a key of their own, signing a checkpoint in the log's name
    genuine = published(settings)
    before = register_and_partners(running)
    last = genuine[-1]
    record = dict(last.record) | {"type": "Terminated", "reason": "forged with a key",
                                  "version": last.record["version"] + 1, "data": {}}  # fmt: skip
    forged = signed_after(settings, genuine, record, key=Ed25519PrivateKey.generate())

    # When it is produced
    produce_foreign(settings, [forged])

    # Then it is refused as forged and changes nothing
    letters = dead_letters(settings, 1)
    assert letters[0]["dlq_reason"] == "forged"
    assert register_and_partners(running) == before


def test_an_altered_record_with_its_chain_recomputed_is_refused_by_the_signed_tree(
    settings: Settings, running: ReadModelStore, pg_writer: PartnerRegistry
) -> None:
    # Given a new, unpublished event, and an altered copy ahead of it whose chain hash is
    # recomputed (the chain is public) and which carries the genuine signed checkpoint
    before = register_and_partners(running)
    previous = published(settings)[-1]
    more_events(pg_writer, 1)
    genuine = signed_as_the_relay_would(settings, pg_writer)
    record = dict(genuine.record) | {"reason": "altered, chain recomputed"}
    altered = dataclasses.replace(
        genuine, record=record, chain_hash=chain_hash(previous.chain_hash, record),  # type: ignore[arg-type]
        canonical=b"",
    )  # fmt: skip
    produce_foreign(settings, [altered])

    # Then the signed tree does not end in it: it is refused, the public sees nothing of it,
    # and the genuine record, once published, is applied
    refused_then_genuine_applied(settings, running, genuine, "altered", before)


def test_the_runner_reports_itself_degraded_after_refusing_a_record(
    settings: Settings, pg_writer: PartnerRegistry
) -> None:
    # Given a runner reporting its health, on a genuine log
    with reporting_runner(settings, pg_writer) as store, running_relay(settings):
        wait_for(lambda: store.chain_head().sequence == len(stored_records(pg_writer)))
        assert {s.state for s in instances(store.database)["project"]} == {"running"}

        # When it refuses a record nobody signed
        last = published(settings)[-1]
        produce_foreign(settings, [dataclasses.replace(last, sequence=last.sequence + 1,
                                                       checkpoint="")])  # fmt: skip

        # Then its health beats say it is degraded, and why
        def degraded() -> bool:
            states = instances(store.database).get("project", [])
            return any(s.state == DEGRADED and "unsigned" in s.detail for s in states)

        wait_for(degraded)


def test_a_rebuild_from_the_topic_skips_what_the_log_key_did_not_sign(
    settings: Settings, running: ReadModelStore, pg_writer: PartnerRegistry
) -> None:
    # Given the genuine log, and a correctly chained record nobody signed after it
    total = len(stored_records(pg_writer))
    last = published(settings)[-1]
    record = dict(last.record) | {"type": "Terminated", "reason": "forged for the rebuild",
                                  "version": last.record["version"] + 1, "data": {}}  # fmt: skip
    produce_foreign(settings, [dataclasses.replace(
        last, record=record, sequence=last.sequence + 1,  # type: ignore[arg-type]
        chain_hash=chain_hash(last.chain_hash, record), checkpoint="",
    )])  # fmt: skip

    # When the read models are rebuilt from the topic
    history = topic_history(new_reader(settings), "partner-events", log_verifiers(settings)())
    assert history is not None
    head = running.rebuild(history.events(), history.offsets)

    # Then the forged record was skipped: the models hold exactly the genuine log
    assert (head.sequence, history.skipped) == (total, 1)
    assert running.entry_at(total + 1) is None


def signed_after(
    settings: Settings, genuine: list[PublishedEvent], record: dict[str, object],
    key: Ed25519PrivateKey | None = None,
) -> PublishedEvent:  # fmt: skip
    """A record appended after the genuine log, its tree's checkpoint signed (by the log's key)."""
    frontier = merkle.Frontier()
    for event in genuine:
        frontier.append(merkle.leaf_hash(canonical_json(event.record)))
    frontier.append(merkle.leaf_hash(canonical_json(record)))
    last = genuine[-1]
    body = TreeHead(settings.log_origin, last.sequence + 1, frontier.root()).body()
    signer = key or load_key(Path(settings.signing_key_file))
    return dataclasses.replace(
        last, record=record, sequence=last.sequence + 1,  # type: ignore[arg-type]
        chain_hash=chain_hash(last.chain_hash, record),
        checkpoint=note.signed_note(body, [note.sign(body, settings.log_origin, signer)]),
    )  # fmt: skip


def test_a_signed_record_the_register_cannot_follow_degrades_the_runner_and_the_genuine_log_goes_on(
    settings: Settings, pg_writer: PartnerRegistry
) -> None:
    # Given a runner reporting its health, on a genuine log
    with reporting_runner(settings, pg_writer) as store:
        with running_relay(settings):
            wait_for(lambda: store.chain_head().sequence == len(stored_records(pg_writer)))
        before = register_and_partners(store)

        # When the log's own key signs a record that skips a partner's versions
        genuine = published(settings)
        last = genuine[-1]
        record = dict(last.record) | {"version": last.record["version"] + 5}
        produce_foreign(settings, [signed_after(settings, genuine, record)])

        # Then the runner does not stop: it says it is degraded, and nothing changed
        def degraded() -> bool:
            states = instances(store.database).get("project", [])
            return any(s.state == DEGRADED and "applying stopped" in s.detail for s in states)

        wait_for(degraded)
        assert register_and_partners(store) == before

        # And when the genuine next record is published, it is applied, and the runner recovers
        more_events(pg_writer, 2)
        with running_relay(settings):
            wait_for(lambda: store.chain_head().sequence == len(stored_records(pg_writer)))
        wait_for(lambda: {s.state for s in instances(store.database)["project"]} == {"running"})


def test_a_duplicate_and_a_second_signed_history_change_nothing_and_replay_names_them(
    settings: Settings, running: ReadModelStore, tmp_path: Path
) -> None:
    # Given the genuine log applied
    genuine = published(settings)
    before = register_and_partners(running)

    # When a copy of record 3 is sent again, and the log's key signs another record 3
    # (another tree of size 3: the history someone else was shown)
    other = dict(genuine[2].record) | {"reason": "the history shown to someone else"}
    second = signed_after(settings, genuine[:2], other)
    produce_foreign(settings, [genuine[2], second])

    # Then the second history is dead-lettered as a conflict at 3, and nothing changed
    letters = dead_letters(settings, 1)
    assert letters[0]["dlq_reason"] == "conflict"
    assert "sequence 3" in letters[0]["dlq_detail"]
    assert register_and_partners(running) == before

    # And an auditor with only the topic and the log's vkey names both, with status 6
    vkey = note.verifier_of(
        settings.log_origin, load_key(Path(settings.signing_key_file)).public_key()
    ).vkey
    result = outsider(tmp_path / "auditor", "audit", "replay", "--json", "--log-vkey", vkey,
                      KAFKA_BOOTSTRAP_SERVERS=settings.kafka_bootstrap_servers or "")  # fmt: skip
    assert result.returncode == 6, result.stderr
    found = {(f["kind"], f["sequence"]) for f in json.loads(result.stdout)["findings"]}
    assert {("duplicate", 3), ("conflict", 3)} <= found
