"""The ``partner-registry`` command: refusals become messages and exit codes.

Exit codes: 0 done; 1 refused by a rule of the register; 2 bad arguments or
settings (a missing or unannounced signing key among them); 3 no such
partner; 4 conflict (changed meanwhile, or another relay leads); 5 database
or Kafka unreachable (one-off commands only: long-running parts wait); 6 the
public record failed verification (altered or missing records); 70 an
unexpected failure (logged with its traceback, never printed raw).
"""

from __future__ import annotations

import sys

import structlog
import typer
from pydantic import ValidationError

from consumers.audit.tiles_reader import LogUnavailableError
from consumers.messaging.broker import BrokerUnavailableError
from consumers.parts.resilience import describe
from consumers.relay.positions import LeadershipLostError
from infra.local.stack import StackError
from projections.audit_trail import ChainBrokenError
from projections.storage.writer import ConflictingRecordError
from registry.adapters.sqldb import DATABASE_UNAVAILABLE
from registry.cli import (
    audit,
    keys,
    processes,
    read_models,
    reads,
    signed_log,
    tokens,
    witness,
    writes,
)
from registry.cli.app import app
from registry.config import ConfigurationError, Settings
from registry.domain.exceptions import (
    ConcurrencyConflictError,
    PartnerNotFoundError,
    RegistryError,
    StaleVersionError,
)
from registry.record.signing import SigningKeyError

__all__ = [
    "app",
    "audit",
    "keys",
    "main",
    "processes",
    "read_models",
    "reads",
    "signed_log",
    "tokens",
    "witness",
    "writes",
]

log = structlog.get_logger(__name__)

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_CONFLICT = 4
EXIT_UNAVAILABLE = 5
EXIT_TAMPERED = 6
EXIT_SOFTWARE = 70


def main() -> None:
    """Run the command line, turning every refusal into a message and an exit code."""
    try:
        app()
    except RegistryError as error:
        _fail(str(error), _exit_code(error))
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: "
            + e["msg"].removeprefix("Value error, ")
            for e in error.errors()
        )
        _fail(f"invalid settings: {problems}", EXIT_USAGE)
    except (ChainBrokenError, ConflictingRecordError) as error:
        _fail(f"the public record failed verification: {error}", EXIT_TAMPERED)
    except StackError as error:
        _fail(str(error), EXIT_UNAVAILABLE)
    except SigningKeyError as error:
        _fail(str(error), EXIT_USAGE)
    except ConfigurationError as error:
        _fail(str(error), EXIT_USAGE)
    except LogUnavailableError as error:
        _fail(f"the log cannot be read over HTTP: {error}", EXIT_UNAVAILABLE)
    except BrokerUnavailableError as error:
        _fail(f"Kafka cannot be reached: {error}", EXIT_UNAVAILABLE)
    except LeadershipLostError as error:
        _fail(f"not publishing: {error}", EXIT_CONFLICT)
    except DATABASE_UNAVAILABLE as error:
        where = Settings().redacted_database_url()
        _fail(f"the event store at {where} cannot be reached: {error}", EXIT_UNAVAILABLE)
    except Exception as error:
        log.exception("unexpected failure")
        _fail(f"unexpected failure ({describe(error)}); the log has the details", EXIT_SOFTWARE)


def _exit_code(error: RegistryError) -> int:
    if isinstance(error, PartnerNotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(error, ConcurrencyConflictError | StaleVersionError):
        return EXIT_CONFLICT
    return EXIT_REFUSED


def _fail(message: str, code: int) -> None:
    typer.echo(f"error: {message}", err=True)
    sys.exit(code)
