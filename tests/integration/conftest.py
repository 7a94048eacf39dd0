"""Fixtures shared by the integration tests: a broker of their own and a writer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.local.broker import LocalBroker
from registry.service.application import PartnerRegistry
from tests.conftest import open_registry
from tests.kafka_helpers import ServiceProcess


@pytest.fixture(autouse=True)
def no_part_left_running() -> Iterator[None]:
    """A test that fails half-way leaves none of the parts it started running: one that did
    went on retrying against a dropped database and a stopped broker for as long as CI ran."""
    yield
    ServiceProcess.kill_leftovers()


@pytest.fixture
def broker() -> Iterator[LocalBroker]:
    """A fresh in-memory broker for one test."""
    with LocalBroker() as local:
        yield local


@pytest.fixture
def pg_writer(postgres_url: str) -> Iterator[PartnerRegistry]:
    """The registry application on a PostgreSQL store of this test's own."""
    registry = open_registry(postgres_url)
    yield registry
    registry.close()


@pytest.fixture
def writer(database_url: str) -> Iterator[PartnerRegistry]:
    """The registry application on the test's event store."""
    registry = open_registry(database_url)
    yield registry
    registry.close()
