"""A settled process freezes what start-up left, yet still frees the garbage cycles it makes."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from consumers.parts import heap


class Node:
    """An object that can take part in a reference cycle, and be watched by a weak reference."""

    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> weakref.ref[Node]:
    """A two-node cycle that nothing else refers to; the reference says when it is freed."""
    first, second = Node(), Node()
    first.other, second.other = second, first
    return weakref.ref(first)


@pytest.fixture(autouse=True)
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_settling_freezes_what_is_alive_and_collects_the_young_generation_less_often() -> None:
    # given a process that has started
    kept = [Node() for _ in range(10)]

    # when it settles
    heap.settle()

    # then what is alive is out of the collector's sight and collections come less often
    assert gc.get_freeze_count() >= len(kept)
    assert gc.get_threshold()[0] == heap.YOUNG > 700


def test_garbage_left_by_start_up_is_freed_not_frozen_with_the_rest() -> None:
    # given a garbage cycle left by start-up, not yet found by the collector
    gc.disable()
    left = cycle()
    assert left() is not None

    # when the process settles
    heap.settle()
    gc.enable()

    # then the cycle was freed before everything alive was frozen
    assert left() is None


def test_a_settled_process_still_frees_the_cycles_it_makes_by_itself() -> None:
    # given a settled process
    heap.settle()

    # when it makes a garbage cycle, then enough short-lived containers for a young collection
    made = cycle()
    survivors: list[list[int]] = [[] for _ in range(heap.YOUNG * 2)]

    # then the collector found the cycle without being asked
    assert made() is None
    assert len(survivors) == heap.YOUNG * 2
