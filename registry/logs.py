"""Structured logging: readable on a terminal, JSON lines everywhere else.

Library loggers (psycopg, kafka-python) go through the same processors, so
every line has one shape and passes the same secret filter. The filter is
the last guard, not the first: code must not log secrets in the first place.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor

_SECRET_KEYS = re.compile(
    r"pass(word)?|secret|token|authori[sz]ation|api[_-]?key|private[_-]?key|database_url|dsn",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+@", re.IGNORECASE)
_BEARER = re.compile(r"(?P<head>bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
REDACTED = "[redacted]"
# Libraries that narrate every connection at INFO; their warnings still show.
_CHATTY_LIBRARIES = ("kafka", "httpx")


def summarise_library_exceptions(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """A library's exception as one ``error`` field, not a traceback into its internals.

    The network libraries log the faults every part waits out (a connection
    reset by a broker going away) with their traceback; the part's own line
    says what it does about it, so the library's line needs only the error.
    """
    exc_info = event_dict.pop("exc_info", None)
    if isinstance(exc_info, tuple) and exc_info[1] is not None:
        event_dict["error"] = f"{type(exc_info[1]).__name__}: {exc_info[1]}"
    elif isinstance(exc_info, BaseException):
        event_dict["error"] = f"{type(exc_info).__name__}: {exc_info}"
    return event_dict


def redact_secrets(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """Blank values under secret-sounding keys and credentials inside strings."""
    return _redact_mapping(event_dict)


def _redact_mapping(mapping: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in mapping.items():
        if _SECRET_KEYS.search(str(key)):
            mapping[key] = REDACTED
        else:
            mapping[key] = _redact_value(value)
    return mapping


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        value = _URL_PASSWORD.sub(r"\g<head>***@", value)
        return _BEARER.sub(r"\g<head>" + REDACTED, value)
    if isinstance(value, dict):
        return _redact_mapping(dict(value))
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    return value


def configure_logging(
    log_format: str = "auto", level: str = "info", stream: TextIO | None = None
) -> None:
    """Send structlog and standard-library logs to stderr in one format.

    Our own log lines take structlog's direct path (no standard-library
    logging on the way), because one is written for every recorded event;
    library loggers go through a handler that applies the same processors.
    """
    out = stream if stream is not None else sys.stderr
    as_json = log_format == "json" or (log_format == "auto" and not out.isatty())
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_secrets,
    ]
    numeric = logging.getLevelNamesMapping()[level.upper()]
    structlog.configure(
        processors=[*shared, renderer],
        logger_factory=_NamedWriteLoggerFactory(out),
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[summarise_library_exceptions, *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(numeric)
    for chatty in _CHATTY_LIBRARIES:
        logging.getLogger(chatty).setLevel(max(logging.WARNING, numeric))


class _NamedWriteLogger(structlog.WriteLogger):
    """structlog's fast writer, carrying the module name for the ``logger`` field."""

    def __init__(self, file: TextIO, name: str) -> None:
        super().__init__(file)
        self.name = name


class _NamedWriteLoggerFactory:
    def __init__(self, file: TextIO) -> None:
        self._file = file

    def __call__(self, *args: Any) -> _NamedWriteLogger:
        return _NamedWriteLogger(self._file, str(args[0]) if args else "")
