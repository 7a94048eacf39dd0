"""The read models verify the log's signatures once per extension of the trail, and still
stop it just before a checkpoint no trusted key signed.

Each record's checkpoint names a trusted key (checked on arrival); its signature is
verified for the last record an apply joins to the trail, whose signed tree covers every
leaf before it, and record by record only when that one fails.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr

from projections.storage.store import ReadModelStore
from registry.bootstrap import build_read_models
from registry.config import Settings
from registry.record import note
from registry.record.chain import chain_hash
from registry.record.messages import PublishedEvent
from tests.unit.test_audit_replay import KEY, LOG_KEYS, ORIGIN, history, signed_heads

FORGER = Ed25519PrivateKey.generate()


def in_the_logs_name(event: PublishedEvent) -> PublishedEvent:
    """The record with its checkpoint's signature made by a forger, under the log's key hash."""
    text, _ = note.split(event.checkpoint)
    forged = note.Signature(
        ORIGIN, note.key_hash(ORIGIN, KEY.public_key()), FORGER.sign(text.encode())
    )
    return dataclasses.replace(event, checkpoint=note.signed_note(text, [forged]))


def trusted(checkpoint: str) -> bool:
    try:
        note.open_note(checkpoint, LOG_KEYS)
    except note.NoteError:
        return False
    return True


@pytest.fixture
def store(database_url: str) -> Iterator[ReadModelStore]:
    models = build_read_models(Settings(database_url=SecretStr(database_url)))
    yield models
    models.close()


def applied(
    store: ReadModelStore, events: list[PublishedEvent], check: Callable[[str], bool]
) -> tuple[int, int | None, str]:
    result = store.apply(events, {("partner-events", 0): len(events)}, store.generation(), check)
    return result.chain_head.sequence, result.broken, result.broken_reason


def test_a_signed_log_joins_the_trail_whole(store: ReadModelStore) -> None:
    # Given a genuine log of five records, each with the checkpoint of its tree
    events = signed_heads(history())

    # When it is applied, signatures checked
    outcome = applied(store, events, trusted)

    # Then the whole log joined the trail
    assert outcome == (5, None, "")


def test_a_last_checkpoint_signed_by_a_forger_in_the_logs_name_stops_the_trail_before_it(
    store: ReadModelStore,
) -> None:
    # Given a log whose last record's checkpoint is signed by a forger under the log key's hash
    events = signed_heads(history())
    events[-1] = in_the_logs_name(events[-1])

    # When it is applied
    outcome = applied(store, events, trusted)

    # Then the trail ends before it, and it is refused as forged
    assert outcome == (4, 5, "forged")
    assert store.entry_at(5) is None


def test_the_first_forged_signature_of_an_extension_that_fails_is_where_the_trail_stops(
    store: ReadModelStore,
) -> None:
    # Given a log whose second and last checkpoints are signed by a forger
    events = signed_heads(history())
    events[1], events[-1] = in_the_logs_name(events[1]), in_the_logs_name(events[-1])

    # When it is applied
    outcome = applied(store, events, trusted)

    # Then the trail stops before the second, which is refused; the rest wait, unjoined
    assert outcome == (1, 2, "forged")
    assert store.chain_head().sequence == 1


def test_a_forged_signature_inside_a_run_whose_last_holds_is_covered_by_the_last(
    store: ReadModelStore,
) -> None:
    # Given a log whose middle checkpoint's signature is a forger's, but whose last is genuine:
    # the last signed tree covers every record before it, so the records are the log's
    events = signed_heads(history())
    events[2] = in_the_logs_name(events[2])

    # When it is applied
    outcome = applied(store, events, trusted)

    # Then the records joined the trail: one verification stood for the run
    assert outcome == (5, None, "")


def test_an_altered_record_inside_a_run_stops_the_trail_before_it(store: ReadModelStore) -> None:
    # Given a log whose third record was altered after signing, its chain hash recomputed
    events = signed_heads(history())
    altered = dict(events[2].record) | {"reason": "rewritten after signing"}
    events[2] = dataclasses.replace(
        events[2],
        record=altered,  # type: ignore[arg-type]
        chain_hash=chain_hash(events[1].chain_hash, altered),
    )

    # When it is applied
    outcome = applied(store, events, trusted)

    # Then the signed tree does not end in it: the trail stops before it
    assert outcome == (2, 3, "altered")
