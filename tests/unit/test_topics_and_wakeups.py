"""Topic declarations and the relay's polling back-off."""

from __future__ import annotations

from consumers.parts.wakeups import PollingBackoff
from infra.topics import EVENTS, STATE, declared_topics


def test_topics_are_declared_once_and_named_with_the_prefix() -> None:
    topics = declared_topics("staging.")

    assert topics[EVENTS].name == "staging.partner-events"
    assert topics[STATE].name == "staging.partner-state"
    assert topics[STATE].config["cleanup.policy"] == "compact"
    assert topics[EVENTS].config["retention.ms"] == "-1"
    assert topics[EVENTS].partitions >= 1


def test_idle_polling_backs_off_to_its_ceiling_and_activity_resets_it() -> None:
    slept: list[float] = []
    wakeup = PollingBackoff(floor=0.02, ceiling=0.2, sleep=slept.append)

    for _ in range(6):
        wakeup.wait(1.0)
    wakeup.activity()
    wakeup.wait(1.0)

    assert slept == [0.02, 0.04, 0.08, 0.16, 0.2, 0.2, 0.02]


def test_polling_never_sleeps_past_the_callers_timeout() -> None:
    slept: list[float] = []
    wakeup = PollingBackoff(floor=0.5, ceiling=1.0, sleep=slept.append)

    poll_now = wakeup.wait(0.1)

    assert slept == [0.1]
    assert not poll_now


def test_short_waits_add_up_to_the_delay() -> None:
    wakeup = PollingBackoff(floor=0.3, ceiling=1.0, sleep=lambda _: None)

    answers = [wakeup.wait(0.1) for _ in range(3)]

    assert answers == [False, False, True]
