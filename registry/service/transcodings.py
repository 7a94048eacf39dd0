"""How the event store keeps values that JSON has no type for."""

from __future__ import annotations

from datetime import date

from eventsourcing.persistence import Transcoding


class DateAsISO(Transcoding):
    """Calendar dates (effective dates, deadlines) as ISO 8601 strings."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        """Write the date as YYYY-MM-DD."""
        return obj.isoformat()

    def decode(self, data: str) -> date:
        """Read a YYYY-MM-DD string back into a date."""
        return date.fromisoformat(data)
