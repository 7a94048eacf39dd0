"""A read waiting for its write is woken by the read models' own commit, not by a timer."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from projections.storage.store import ReadModelStore
from registry.api.read_model_changes import ReadModelChanges
from registry.bootstrap import read_model_changes_wakeup
from registry.config import Settings
from registry.service.application import PartnerRegistry
from tests.histories import published_history

pytestmark = pytest.mark.postgres

NO_OFFSETS: dict[tuple[str, int], int] = {}


@pytest.fixture
def changes(postgres_url: str) -> Iterator[ReadModelChanges]:
    settings = Settings(database_url=SecretStr(postgres_url))
    listening = ReadModelChanges(lambda: read_model_changes_wakeup(settings))
    try:
        yield listening
    finally:
        listening.stop()


@pytest.fixture
def database_url(postgres_url: str) -> str:
    return postgres_url


def test_a_waiting_read_wakes_when_the_runner_commits_a_batch_and_not_before(
    changes: ReadModelChanges, registry: PartnerRegistry, read_models: ReadModelStore
) -> None:
    # given a listener that has started listening (its connecting counts as a change)
    assert changes.wait_after(changes.seen(), timeout=10)
    history = published_history(registry)

    # when nothing is committed, a read waiting for a change runs out its time
    seen = changes.seen()
    assert not changes.wait_after(seen, timeout=0.5)

    # when the runner commits a batch, the read is woken
    read_models.apply(history, NO_OFFSETS, read_models.generation())
    assert changes.wait_after(seen, timeout=10)
    assert changes.seen() > seen


def test_a_stopped_listener_is_gone_and_is_not_started_again(changes: ReadModelChanges) -> None:
    # given a listener that has connected
    assert changes.wait_after(changes.seen(), timeout=10)

    # when it is stopped
    changes.stop()

    # then its thread is gone, and a later read neither starts it nor is woken
    seen = changes.seen()
    assert not changes.wait_after(seen, timeout=0.2)
    assert not [t for t in threading.enumerate() if t.name == "read-model-changes"]
