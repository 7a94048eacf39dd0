"""Today's date where the programme's decisions are taken.

Effective dates and deadlines are calendar dates, so "today" must be read in
the programme's time zone (Jakarta by default), not the server's: at 01:00 in
Jakarta it is still yesterday in UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Jakarta"


def today_in(timezone: str) -> Callable[[], date]:
    """A clock giving the current date in the named IANA time zone."""
    zone = ZoneInfo(timezone)

    def today() -> date:
        return datetime.now(zone).date()

    return today
