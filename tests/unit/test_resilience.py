"""Waiting out faults: which faults are transient, and how the delay between tries grows."""

from __future__ import annotations

import sqlite3
import threading

import psycopg
import pytest
from kafka.errors import KafkaConnectionError, KafkaTimeoutError

from consumers.messaging.broker import BrokerUnavailableError
from consumers.parts.resilience import Backoff, describe, is_transient, keep_trying
from projections.audit_trail import ChainBrokenError
from registry.config import ConfigurationError
from registry.record.signing import SigningKeyError


@pytest.mark.parametrize(
    "fault",
    [
        psycopg.OperationalError("terminating connection due to administrator command"),
        sqlite3.OperationalError("database is locked"),
        KafkaTimeoutError("Failed to get offsets by timestamps in 5000 ms"),
        KafkaConnectionError("connection refused"),
        BrokerUnavailableError("no broker"),
        PermissionError(13, "Permission denied"),
        OSError(28, "No space left on device"),
    ],
)
def test_lost_connections_and_disk_faults_are_waited_out(fault: BaseException) -> None:
    assert is_transient(fault)


@pytest.mark.parametrize(
    "fault",
    [
        ConfigurationError("KAFKA_BOOTSTRAP_SERVERS is not set"),
        SigningKeyError("not an Ed25519 key"),
        ChainBrokenError(7, "hash differs"),
        ValueError("a bug"),
    ],
)
def test_what_a_restart_cannot_cure_is_not_transient(fault: BaseException) -> None:
    assert not is_transient(fault)


def test_the_delay_doubles_up_to_its_ceiling_with_at_most_half_of_it_random() -> None:
    low, high = Backoff(0.5, 4.0, rng=lambda: 0.0), Backoff(0.5, 4.0, rng=lambda: 0.999999)

    lows = [low.next_delay() for _ in range(6)]
    highs = [high.next_delay() for _ in range(6)]

    assert lows == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
    assert highs == pytest.approx([0.5, 1.0, 2.0, 4.0, 4.0, 4.0])
    assert low.failures == 6


def test_a_success_starts_the_delay_short_again() -> None:
    backoff = Backoff(0.5, 30.0, rng=lambda: 1.0)
    for _ in range(5):
        backoff.next_delay()

    backoff.reset()

    assert backoff.next_delay() == 0.5
    assert backoff.failures == 1


def test_jitter_spreads_parts_that_failed_together() -> None:
    delays = {Backoff(8.0, 8.0).next_delay() for _ in range(20)}

    assert len(delays) > 10
    assert all(4.0 <= d <= 8.0 for d in delays)


def test_start_up_waits_for_a_database_that_is_not_there_yet() -> None:
    attempts: list[int] = []

    def connect() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise psycopg.OperationalError("connection refused")
        return "connected"

    result = keep_trying(threading.Event(), connect, "test start-up")

    assert result == "connected"
    assert len(attempts) == 3


def test_start_up_gives_up_waiting_when_stopped() -> None:
    stop = threading.Event()

    def refuse() -> str:
        stop.set()
        raise psycopg.OperationalError("connection refused")

    assert keep_trying(stop, refuse, "test start-up") is None


def test_a_fault_is_described_on_one_line() -> None:
    error = psycopg.OperationalError("terminating connection\nDETAIL: admin")

    assert describe(error) == "OperationalError: terminating connection"
