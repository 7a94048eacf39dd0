"""The read models in a real database: exactly once, chain-checked, rebuilt atomically."""

from __future__ import annotations

import dataclasses
import json
import threading
from datetime import date
from uuid import UUID

import psycopg
import pytest
from pydantic import SecretStr

from projections.audit_trail import ChainBrokenError
from projections.point_in_time import PointInTime, register_at
from projections.storage.schema import SCHEMA_MARK
from projections.storage.store import ReadModelStore
from projections.storage.writer import ConflictingRecordError, ModelsRebuiltError
from registry.bootstrap import build_read_models
from registry.config import Settings
from registry.record.chain import chain_hash
from registry.record.messages import PublishedEvent
from registry.service.application import PartnerRegistry
from tests.histories import published_history

pytestmark = pytest.mark.postgres

NO_OFFSETS: dict[tuple[str, int], int] = {}


@pytest.fixture
def history(registry: PartnerRegistry) -> list[PublishedEvent]:
    return published_history(registry)


def split_by_partner(
    history: list[PublishedEvent],
) -> tuple[list[PublishedEvent], list[PublishedEvent]]:
    """The first partner's events, and everyone else's: as two partitions deliver them."""
    first = history[0].partner_id
    return (
        [e for e in history if e.partner_id == first],
        [e for e in history if e.partner_id != first],
    )


def snapshot(store: ReadModelStore) -> tuple[object, ...]:
    """Everything the read models hold, in a comparable form."""
    return (
        store.partners(),
        list(store.all_entries()),
        store.chain_head(),
    )


def test_a_batch_fills_both_read_models_and_verifies_the_chain(
    read_models: ReadModelStore, registry: PartnerRegistry, history: list[PublishedEvent]
) -> None:
    applied = read_models.apply(history, {("partner-events", 0): 42}, read_models.generation())

    assert (applied.new, applied.duplicates) == (len(history), 0)
    assert read_models.chain_head() == applied.chain_head
    assert applied.chain_head.sequence == len(history)
    assert applied.chain_head.chain_hash == history[-1].chain_hash
    rows = sorted(read_models.partners(), key=lambda r: (r.registered_on, r.partner_id))
    assert len(rows) == 5 + 1  # the scripted five, and the one that left
    for row in rows:
        current = registry.get(UUID(row.partner_id))
        assert (row.status, row.version, row.name) == (
            current.status.value,
            current.version,
            current.name,
        )
    assert read_models.offsets("partner-events") == {0: 42}


def test_re_sent_records_are_recognised_and_change_nothing(
    read_models: ReadModelStore, history: list[PublishedEvent]
) -> None:
    read_models.apply(history, NO_OFFSETS, read_models.generation())
    before = snapshot(read_models)

    again = read_models.apply(history + history[:2], NO_OFFSETS, read_models.generation())

    assert (again.new, again.duplicates) == (0, len(history) + 2)
    assert snapshot(read_models) == before


def test_records_arriving_out_of_order_are_verified_once_the_gap_fills(
    read_models: ReadModelStore, history: list[PublishedEvent]
) -> None:
    held_back, others = split_by_partner(history)

    first = read_models.apply(others, NO_OFFSETS, read_models.generation())
    verified_meanwhile = read_models.verified_entries(0, 100)
    second = read_models.apply(held_back, NO_OFFSETS, read_models.generation())

    assert first.chain_head.sequence == 0
    assert verified_meanwhile == []
    assert second.chain_head.sequence == len(history)
    assert (first.waited, second.waited) == (0, len(others))
    assert len(read_models.verified_entries(0, 100)) == len(history)


def test_an_edited_record_is_not_kept_and_nothing_after_it_is_shown_until_the_genuine_one(
    read_models: ReadModelStore, history: list[PublishedEvent]
) -> None:
    # Given four records applied
    read_models.apply(history[:4], NO_OFFSETS, read_models.generation())
    partners, head = read_models.partners(), read_models.chain_head()
    edited = history[4].record | {"reason": "Something else entirely"}
    tampered = dataclasses.replace(history[4], record=edited)

    # When record 5 arrives edited, with the records after it
    applied = read_models.apply([tampered, *history[5:]], NO_OFFSETS, read_models.generation())

    # Then it is refused and not kept, and the public sees nothing of it or after it
    assert applied.broken == 5
    assert read_models.entry_at(5) is None
    assert (read_models.partners(), read_models.chain_head()) == (partners, head)

    # When the genuine record 5 arrives, the trail runs through to the end
    applied = read_models.apply([history[4]], NO_OFFSETS, read_models.generation())

    assert applied.chain_head.sequence == len(history)
    assert read_models.verify().sequence == len(history)


def test_a_record_rewritten_with_a_recomputed_hash_conflicts_with_the_one_on_file(
    read_models: ReadModelStore, history: list[PublishedEvent]
) -> None:
    read_models.apply(history, NO_OFFSETS, read_models.generation())
    edited = history[2].record | {"actor": "someone.else"}
    rewritten = dataclasses.replace(
        history[2], record=edited, chain_hash=chain_hash(history[1].chain_hash, edited)
    )

    with pytest.raises(ConflictingRecordError) as conflict:
        read_models.apply([rewritten], NO_OFFSETS, read_models.generation())

    assert conflict.value.sequence == 3


def test_a_conflicting_record_is_refused_before_its_batch_commits_and_the_rest_applied(
    read_models: ReadModelStore, history: list[PublishedEvent]
) -> None:
    # Given the first three records in the trail, and record 3 rewritten with a recomputed hash
    read_models.apply(history[:3], NO_OFFSETS, read_models.generation())
    edited = history[2].record | {"actor": "someone.else"}
    rewritten = dataclasses.replace(
        history[2], record=edited, chain_hash=chain_hash(history[1].chain_hash, edited)
    )
    refused: list[int] = []

    # When it arrives in a batch with the records that follow
    applied = read_models.apply(
        [*history[3:5], rewritten, *history[5:]], NO_OFFSETS, read_models.generation(),
        refuse=refused.extend,
    )  # fmt: skip

    # Then it alone is refused, and the trail runs on through the genuine record 3
    assert refused == [2]
    assert applied.conflicting == (2,)
    assert applied.chain_head.sequence == len(history)
    assert read_models.verify().sequence == len(history)


def test_the_stored_trail_check_finds_a_removed_row(
    read_models: ReadModelStore, history: list[PublishedEvent]
) -> None:
    read_models.apply(history, NO_OFFSETS, read_models.generation())
    with read_models.transaction() as tx:
        tx.execute("DELETE FROM rm_audit_trail WHERE sequence = ?", (7,))

    with pytest.raises(ChainBrokenError, match="sequence 7: missing"):
        read_models.verify()


def test_the_stored_trail_check_finds_an_edited_body(
    read_models: ReadModelStore, history: list[PublishedEvent]
) -> None:
    read_models.apply(history, NO_OFFSETS, read_models.generation())
    ninth = read_models.entry_at(9)
    assert ninth is not None
    body = json.loads(ninth.body)
    body["reason"] = "edited afterwards"
    with read_models.transaction() as tx:
        tx.execute("UPDATE rm_audit_trail SET body = ? WHERE sequence = 9", (json.dumps(body),))

    with pytest.raises(ChainBrokenError, match="sequence 9"):
        read_models.verify()


def test_rebuilding_gives_identical_models_and_tells_consumers(
    read_models: ReadModelStore, history: list[PublishedEvent]
) -> None:
    generation = read_models.generation()
    for partition in split_by_partner(history):
        read_models.apply(partition, NO_OFFSETS, generation)
    built_by_consumer = snapshot(read_models)
    progress: list[int] = []

    head = read_models.rebuild(
        iter(history), {("partner-events", 1): 7}, lambda batch: progress.append(len(batch))
    )

    assert snapshot(read_models) == built_by_consumer
    assert head == read_models.chain_head()
    assert sum(progress) == len(history)
    assert read_models.offsets("partner-events") == {1: 7}
    assert read_models.generation() == generation + 1
    with pytest.raises(ModelsRebuiltError):
        read_models.apply(history[:1], NO_OFFSETS, generation)


def test_register_as_of_a_date_applies_only_what_was_in_effect(
    read_models: ReadModelStore, history: list[PublishedEvent]
) -> None:
    read_models.apply(history, NO_OFFSETS, read_models.generation())
    entries = list(read_models.all_entries())

    long_ago = register_at(entries, PointInTime(date(2000, 1, 1)))
    now = register_at(entries, PointInTime(date(2100, 1, 1)))

    assert long_ago == []
    assert sorted(s.row.status for s in now) == [
        "active", "active", "active", "terminated", "warned", "withdrawn",
    ]  # fmt: skip
    assert sum(len(s.entries) for s in now) == len(history)


def test_a_process_starting_beside_a_batch_in_progress_does_not_wait_for_it(
    postgres_url: str,
) -> None:
    # given read models in place and a runner's batch that has moved the chain head
    settings = Settings(database_url=SecretStr(postgres_url))
    build_read_models(settings).close()
    with psycopg.connect(postgres_url) as batch:
        batch.execute("UPDATE rm_chain SET sequence = sequence WHERE id = 1")

        # when another process opens the read models (the API, a second runner)
        opening = threading.Thread(target=lambda: build_read_models(settings).close())
        opening.start()
        opening.join(timeout=5)

        # then it is ready at once (its DDL used to deadlock with the batch)
        assert not opening.is_alive()
        batch.rollback()
    opening.join()


def test_a_record_waiting_for_its_predecessor_changes_no_partner_until_the_chain_reaches_it(
    read_models: ReadModelStore, history: list[PublishedEvent]
) -> None:
    # Given three records applied, and the fifth arriving before the fourth
    read_models.apply(history[:3], NO_OFFSETS, read_models.generation())
    partners = read_models.partners()

    read_models.apply([history[4]], NO_OFFSETS, read_models.generation())

    # Then the public register is unchanged while the fifth waits
    assert read_models.partners() == partners
    assert read_models.chain_head().sequence == 3

    # When the fourth arrives, both are folded in order
    read_models.apply([history[3]], NO_OFFSETS, read_models.generation())

    assert read_models.chain_head().sequence == 5
    assert {p.partner_id: p.version for p in read_models.partners()} == _versions(history[:5])


def _versions(events: list[PublishedEvent]) -> dict[str, int]:
    latest: dict[str, int] = {}
    for event in events:
        latest[event.partner_id] = event.record["version"]
    return latest


def test_read_models_of_an_older_version_are_dropped_and_built_again(
    read_models: ReadModelStore, history: list[PublishedEvent]
) -> None:
    # Given read models whose tables predate the signed log (no version mark, no new columns)
    read_models.apply(history, {("partner-events", 0): len(history)}, read_models.generation())
    with read_models.transaction() as tx:
        for statement in (f"DROP TABLE {SCHEMA_MARK}", "DROP TABLE rm_chain",
                          "CREATE TABLE rm_chain (id INTEGER PRIMARY KEY, sequence BIGINT NOT NULL, "
                          "chain_hash TEXT NOT NULL)"):  # fmt: skip
            tx.execute(statement)

    # When a part starts on them
    read_models.setup()

    # Then they are empty, with this version's tables, and the runner reads the topic again
    assert read_models.chain_head().sequence == 0
    assert read_models.partners() == []
    assert read_models.offsets("partner-events") == {}
    applied = read_models.apply(history, NO_OFFSETS, read_models.generation())
    assert applied.chain_head.sequence == len(history)
