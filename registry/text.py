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
# Characters no feed format can carry: control characters other than tab and
# line breaks (XML forbids them), lone surrogates (not encodable as UTF-8)
# and the two non-characters U+FFFE and U+FFFF.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def require_text(field: str, value: str, max_length: int = MAX_TEXT_LENGTH) -> str:
    """Return the value stripped, refusing blank, over-long or unwritable text."""
    stripped = value.strip()
    if not stripped:
        raise InvalidCommandError(f"The {field} must not be blank.")
    if len(stripped) > max_length:
        raise InvalidCommandError(
            f"The {field} is {len(stripped)} characters long; the limit is {max_length}."
        )
    if found := _UNWRITABLE.search(stripped):
        raise InvalidCommandError(
            f"The {field} contains U+{ord(found.group()):04X} at position {found.start() + 1}: "
            "control characters (other than tab and line breaks) and lone surrogates "
            "cannot go into the public record."
        )
    return stripped


def writable(value: str) -> str:
    """The text with every character a feed cannot carry replaced by U+FFFD.

    New text never holds one (require_text refuses it); a record made before
    that rule must still not stop a feed from being written.
    """
    return _UNWRITABLE.sub("\ufffd", value)


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
