"""Who decided, why, and from when: the part every command shares.

The registry records two times for each event: when it was recorded (the
event's timestamp, set by the store) and when the decision takes effect,
which an officer may backdate because decisions are often recorded after
they are taken. The future is refused: the register records what has
happened, so "current" never depends on a decision still to come.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from registry.domain.exceptions import InvalidCommandError
from registry.domain.text import MAX_NAME_LENGTH, require_text


@dataclass(frozen=True)
class Decision:
    """The actor, the reason and the effective date of one command."""

    actor: str
    reason: str
    effective_date: date


def checked_decision(
    decision: Decision, *, today: date, not_before: date | None = None
) -> Decision:
    """Return the decision with clean text, refusing a future or too-early date."""
    actor = require_text("actor", decision.actor, MAX_NAME_LENGTH)
    reason = require_text("reason", decision.reason)
    effective = decision.effective_date
    if effective > today:
        raise InvalidCommandError(
            "The effective date %(effective)s is in the future (today is %(today)s); "
            "record the decision once it has taken effect.",
            effective=effective,
            today=today,
        )
    if not_before is not None and effective < not_before:
        raise InvalidCommandError(
            "The effective date %(effective)s is before this partnership began on %(began)s.",
            effective=effective,
            began=not_before,
        )
    return Decision(actor=actor, reason=reason, effective_date=effective)
