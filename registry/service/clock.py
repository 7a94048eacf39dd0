"""Today's date, and moments typed by people, where the programme's decisions are taken.

Effective dates and deadlines are calendar dates, so "today" must be read in
the programme's time zone (Jakarta by default), not the server's: at 01:00 in
Jakarta it is still yesterday in UTC. A moment typed without an offset
("known at 2026-05-01 09:00") is meant in that zone too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from registry.domain.exceptions import InvalidPointInTimeError

DEFAULT_TIMEZONE = "Asia/Jakarta"


def today_in(timezone: str) -> Callable[[], date]:
    """A clock giving the current date in the named IANA time zone."""
    zone = ZoneInfo(timezone)

    def today() -> date:
        return datetime.now(zone).date()

    return today


def moment_in(text: str, timezone: str) -> datetime:
    """An ISO 8601 moment; a bare date is the end of that day, and no offset means TIMEZONE.

    Raises InvalidPointInTimeError (a ValueError) for anything else, with the forms accepted.
    """
    zone = ZoneInfo(timezone)
    try:
        if len(text) == len("YYYY-MM-DD"):
            return datetime.combine(date.fromisoformat(text), time.max, zone)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidPointInTimeError(
            "%(text)r is not a moment; use YYYY-MM-DD (the end of that day) or "
            "YYYY-MM-DDTHH:MM[:SS][+HH:MM] (without an offset, %(zone)s time)",
            text=text,
            zone=timezone,
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
