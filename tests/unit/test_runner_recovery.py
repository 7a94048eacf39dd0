"""The runner's recovery: when it re-reads, replaces its consumer, or gives up."""

from __future__ import annotations

from consumers.read_side.recovery import Action, Recovery, lost_partitions


def stalled_for(recovery: Recovery, head: int, seconds: float, start: float = 0.0) -> Action:
    """Watch the head stand still with work waiting from ``start`` for ``seconds``."""
    recovery.watch(head, work_waiting=True, now=start)
    return recovery.watch(head, work_waiting=True, now=start + seconds)


def test_a_first_gap_re_reads_from_the_start() -> None:
    recovery = Recovery(stall_timeout=30)

    assert recovery.gap(head=10) is Action.REREAD


def test_the_same_gap_at_the_same_head_after_a_re_read_gives_up() -> None:
    recovery = Recovery(stall_timeout=30)
    recovery.gap(head=10)

    assert recovery.gap(head=10) is Action.GIVE_UP


def test_a_gap_at_a_new_head_re_reads_again() -> None:
    recovery = Recovery(stall_timeout=30)
    recovery.gap(head=10)

    assert recovery.gap(head=11) is Action.REREAD


def test_nothing_happens_while_no_work_waits_however_long_the_head_stands() -> None:
    recovery = Recovery(stall_timeout=30)

    first = recovery.watch(10, work_waiting=False, now=0)
    later = recovery.watch(10, work_waiting=False, now=1000)

    assert first is later is Action.NOTHING


def test_a_head_standing_still_with_work_waiting_is_patient_until_the_timeout() -> None:
    recovery = Recovery(stall_timeout=30)

    assert stalled_for(recovery, head=10, seconds=29.9) is Action.NOTHING


def test_a_stall_past_the_timeout_re_reads_from_the_start() -> None:
    recovery = Recovery(stall_timeout=30)

    assert stalled_for(recovery, head=10, seconds=30) is Action.REREAD


def test_a_moving_head_restarts_the_stall_clock() -> None:
    recovery = Recovery(stall_timeout=30)
    recovery.watch(10, work_waiting=True, now=0)

    moved = recovery.watch(11, work_waiting=True, now=20)
    still = recovery.watch(11, work_waiting=True, now=45)

    assert moved is still is Action.NOTHING
    assert recovery.watch(11, work_waiting=True, now=50) is Action.REREAD


def test_work_done_in_between_forgets_the_stall() -> None:
    recovery = Recovery(stall_timeout=30)
    recovery.watch(10, work_waiting=True, now=0)
    recovery.watch(10, work_waiting=False, now=10)

    assert recovery.watch(10, work_waiting=True, now=35) is Action.NOTHING


def test_a_stall_that_re_reading_did_not_cure_replaces_the_consumer() -> None:
    recovery = Recovery(stall_timeout=30)
    stalled_for(recovery, head=10, seconds=30)

    assert stalled_for(recovery, head=10, seconds=30, start=31) is Action.RECONNECT


def test_the_consumer_is_replaced_again_each_period_while_the_head_stands_still() -> None:
    recovery = Recovery(stall_timeout=30)
    stalled_for(recovery, head=10, seconds=30)
    stalled_for(recovery, head=10, seconds=30, start=31)

    assert stalled_for(recovery, head=10, seconds=30, start=62) is Action.RECONNECT


def test_a_stall_after_a_gap_re_read_at_the_same_head_replaces_the_consumer() -> None:
    recovery = Recovery(stall_timeout=30)
    recovery.gap(head=10)

    assert stalled_for(recovery, head=10, seconds=30) is Action.RECONNECT


def test_a_stall_at_a_new_head_re_reads_before_replacing_anything() -> None:
    recovery = Recovery(stall_timeout=30)
    stalled_for(recovery, head=10, seconds=30)

    assert stalled_for(recovery, head=12, seconds=30, start=40) is Action.REREAD


def test_a_partition_read_to_its_high_water_mark_is_not_lost_though_listed_shorter() -> None:
    # given a caught-up runner whose broker lists the end short (its last batch's first offset + 1)
    positions, listed, ends = {0: 90, 1: 88}, {0: 85, 1: 88}, {0: 90, 1: 88}

    # then nothing is lost while the broker has not failed
    assert lost_partitions(positions, listed, ends, after_broker_fault=False) == []


def test_after_a_broker_fault_a_partition_listed_short_of_our_position_is_lost() -> None:
    # given a runner that read 90 and 88 records, then lost its broker, which came back empty;
    # its consumer has not fetched since, so its high-water marks are the old broker's
    positions, listed, ends = {0: 90, 1: 88}, {0: 0, 1: 0}, {0: 90, 1: 88}

    # then both partitions are lost, however the stale high-water marks read
    assert lost_partitions(positions, listed, ends, after_broker_fault=True) == [0, 1]
    assert lost_partitions(positions, listed, ends, after_broker_fault=False) == []
