"""``--as-of`` and ``--known-at``: the point in time a reading command asks about."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from projections.point_in_time import PointInTime
from registry.config import Settings
from registry.service.clock import moment_in

AsOfOption = Annotated[
    datetime | None,
    typer.Option(
        formats=["%Y-%m-%d"],
        metavar="YYYY-MM-DD",
        help="Count only the events effective by the end of this day.",
    ),
]
KnownAtOption = Annotated[
    str | None,
    typer.Option(
        metavar="MOMENT",
        help="Count only the events recorded by this moment (YYYY-MM-DD: the end of that day; "
        "YYYY-MM-DDTHH:MM without an offset: REGISTRY_TIMEZONE time).",
    ),
]


def point_from(
    settings: Settings, as_of: datetime | None, known_at: str | None
) -> PointInTime | None:
    """The point in time the options name, or None when neither is given (the register now)."""
    if as_of is None and known_at is None:
        return None
    try:
        moment = moment_in(known_at, settings.registry_timezone) if known_at else None
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--known-at") from None
    return PointInTime(as_of=as_of.date() if as_of else None, known_at=moment)
