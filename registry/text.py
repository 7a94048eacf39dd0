"""Rules for the free text officers type into the record.

The record is public and permanent, so blank or unbounded text is refused
before it can become an event that can never be removed.
"""

from __future__ import annotations

import re
import unicodedata

from registry.exceptions import InvalidCommandError

MAX_TEXT_LENGTH = 4000
MAX_NAME_LENGTH = 200

_WHITESPACE = re.compile(r"\s+")


def require_text(field: str, value: str, max_length: int = MAX_TEXT_LENGTH) -> str:
    """Return the value stripped, refusing blank or over-long text."""
    stripped = value.strip()
    if not stripped:
        raise InvalidCommandError(f"The {field} must not be blank.")
    if len(stripped) > max_length:
        raise InvalidCommandError(
            f"The {field} is {len(stripped)} characters long; the limit is {max_length}."
        )
    return stripped


def optional_text(field: str, value: str | None, max_length: int = MAX_TEXT_LENGTH) -> str | None:
    """Like require_text, but an absent or blank value is recorded as None."""
    if value is None or not value.strip():
        return None
    return require_text(field, value, max_length)


def identity_key(value: str) -> str:
    """The form under which two spellings of one name or number are the same.

    Case and every space are ignored, and compatible Unicode characters are
    folded, so "Mau Belajar Apa", "maubelajarapa" and "MAU  BELAJAR APA" are
    one platform.
    """
    folded = unicodedata.normalize("NFKC", value).casefold()
    return _WHITESPACE.sub("", folded)
