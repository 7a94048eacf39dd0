"""Every refusal a command can end with, as a message and an exit code.

Exit codes: 0 done; 1 refused by a rule of the register; 2 bad arguments or
settings (a missing or unannounced signing key among them); 3 no such
partner; 4 conflict (changed meanwhile, or another relay leads); 5 database
or Kafka unreachable (one-off commands only: long-running parts wait); 6 the
public record or the feed folder failed verification (altered or missing
records or parts); 70 an
unexpected failure (logged with its traceback, never printed raw).

This module imports the error classes of every part (Kafka's client and
the database driver among them), so it is loaded only once a command fails.
"""

from __future__ import annotations

import structlog
from pydantic import ValidationError

from consumers.audit.tiles_reader import LogUnavailableError
from consumers.messaging.broker import BrokerUnavailableError
from consumers.parts.resilience import describe
from consumers.relay.positions import LeadershipLostError
from infra.local.stack import StackError
from projections.audit_trail import ChainBrokenError
from projections.storage.writer import ConflictingRecordError
from registry.adapters.feed_folder import FeedFolderError
from registry.adapters.sqldb import DATABASE_UNAVAILABLE
from registry.config import ConfigurationError, Settings
from registry.domain.exceptions import (
    ConcurrencyConflictError,
    PartnerNotFoundError,
    RegistryError,
    StaleVersionError,
)
from registry.record.signing import SigningKeyError

log = structlog.get_logger(__name__)

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_CONFLICT = 4
EXIT_UNAVAILABLE = 5
EXIT_TAMPERED = 6
EXIT_SOFTWARE = 70


def failure_of(error: Exception) -> tuple[str, int]:  # noqa: PLR0911 - one line per kind of refusal
    """What to tell the person who ran the command, and the exit code scripts see."""
    if isinstance(error, RegistryError):
        return str(error), _exit_code(error)
    if isinstance(error, ValidationError):
        return f"invalid settings: {_problems(error)}", EXIT_USAGE
    if isinstance(error, ChainBrokenError | ConflictingRecordError):
        return f"the public record failed verification: {error}", EXIT_TAMPERED
    if isinstance(error, FeedFolderError):
        return f"the feed folder failed verification: {error}", EXIT_TAMPERED
    if isinstance(error, StackError):
        return str(error), EXIT_UNAVAILABLE
    if isinstance(error, SigningKeyError | ConfigurationError):
        return str(error), EXIT_USAGE
    if isinstance(error, LogUnavailableError):
        return f"the log cannot be read over HTTP: {error}", EXIT_UNAVAILABLE
    if isinstance(error, BrokerUnavailableError):
        return f"Kafka cannot be reached: {error}", EXIT_UNAVAILABLE
    if isinstance(error, LeadershipLostError):
        return f"not publishing: {error}", EXIT_CONFLICT
    if isinstance(error, DATABASE_UNAVAILABLE):
        where = Settings().redacted_database_url()
        return f"the event store at {where} cannot be reached: {error}", EXIT_UNAVAILABLE
    log.exception("unexpected failure")
    return f"unexpected failure ({describe(error)}); the log has the details", EXIT_SOFTWARE


def _exit_code(error: RegistryError) -> int:
    if isinstance(error, PartnerNotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(error, ConcurrencyConflictError | StaleVersionError):
        return EXIT_CONFLICT
    return EXIT_REFUSED


def _problems(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']).upper()}: " + e["msg"].removeprefix("Value error, ")
        for e in error.errors()
    )
