"""Questions asked of the read models in one snapshot see one moment of them."""

from __future__ import annotations

import pytest

from projections.storage.store import ReadModelStore
from registry.service.application import PartnerRegistry
from tests.histories import published_history

pytestmark = pytest.mark.postgres

NO_OFFSETS: dict[tuple[str, int], int] = {}


@pytest.fixture
def database_url(postgres_url: str) -> str:
    return postgres_url


def test_a_commit_between_two_questions_of_a_snapshot_is_seen_by_neither(
    registry: PartnerRegistry, read_models: ReadModelStore
) -> None:
    # given read models holding the first two events of a history
    history = published_history(registry)
    read_models.apply(history[:2], NO_OFFSETS, read_models.generation())

    # when the rest is committed after the first question of a snapshot
    with read_models.snapshot() as models:
        head_before = models.chain_head()
        read_models.apply(history[2:], NO_OFFSETS, read_models.generation())
        head_after, partners = models.chain_head(), models.partners()

    # then the snapshot's head and rows are the first moment's; asked afresh, the rest is there
    assert head_before == head_after
    assert head_after.sequence == 2
    assert max(p.position for p in partners) == history[1].position
    assert read_models.chain_head().sequence == len(history)
