"""Rules for the free text officers type into the record.

The record is public and permanent, so blank or unbounded text is refused
before it can become an event that can never be removed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

import icu

from registry.domain.exceptions import InvalidCommandError, Term

MAX_TEXT_LENGTH = 4000
MAX_NAME_LENGTH = 200

_WHITESPACE = re.compile(r"\s+")
# Characters no feed format can carry: control characters other than tab and
# line breaks (XML forbids them), lone surrogates (not encodable as UTF-8)
# and the two non-characters U+FFFE and U+FFFF.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
# Embeddings, overrides and isolates reorder the text around them on screen:
# a reason or a name could read differently from what was recorded.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def require_text(field: str, value: str, max_length: int = MAX_TEXT_LENGTH) -> str:
    """Return the value stripped, refusing blank, over-long or unwritable text."""
    stripped = value.strip()
    if not stripped:
        raise InvalidCommandError("The %(field)s must not be blank.", field=Term(field))
    if len(stripped) > max_length:
        raise InvalidCommandError(
            "The %(field)s is %(length)s characters long; the limit is %(limit)s.",
            field=Term(field), length=len(stripped), limit=max_length,
        )  # fmt: skip
    if found := _UNWRITABLE.search(stripped):
        raise InvalidCommandError(
            "The %(field)s contains %(character)s at position %(place)s: control characters "
            "(other than tab and line breaks) and lone surrogates cannot go into the public "
            "record.",
            field=Term(field), character=_named(found.group()), place=found.start() + 1,
        )  # fmt: skip
    if found := _BIDI_CONTROLS.search(stripped):
        raise InvalidCommandError(
            "The %(field)s contains %(character)s at position %(place)s: bidirectional "
            "controls make text display differently from what is recorded.",
            field=Term(field), character=_named(found.group()), place=found.start() + 1,
        )  # fmt: skip
    return stripped


def require_identifier(field: str, value: str) -> str:
    """Like require_text for a name or number, also refusing invisible characters.

    Format characters (zero-width spaces and joiners, soft hyphens, direction
    marks) are invisible: two names that look identical on the page could
    otherwise be recorded as two platforms.
    """
    stripped = require_text(field, value, MAX_NAME_LENGTH)
    for place, character in enumerate(stripped, start=1):
        if unicodedata.category(character) == "Cf":
            raise InvalidCommandError(
                "The %(field)s contains %(character)s at position %(place)s: invisible "
                "characters are not allowed in names and numbers.",
                field=Term(field),
                character=_named(character),
                place=place,
            )
    return stripped


def optional_identifier(field: str, value: str | None) -> str | None:
    """Like require_identifier, but an absent or blank value is recorded as None."""
    if value is None or not value.strip():
        return None
    return require_identifier(field, value)


def _named(character: str) -> str:
    name = unicodedata.name(character, "")
    return f"U+{ord(character):04X} {name}".rstrip()


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


def lookalike_key(value: str) -> str:
    """The form under which two names that look alike on screen are the same.

    The Unicode confusable skeleton (Unicode TS #39, computed by ICU from the
    Unicode confusables data) of the identity key: a Cyrillic "\u0430" and a
    Latin "a", or "rn" and "m", give the same skeleton.
    """
    return str(_spoof_checker().getSkeleton(0, identity_key(value)))


@cache
def _spoof_checker() -> Any:
    return icu.SpoofChecker()
