"""The programme's rules for partners, version by version: the rule book.

The criteria come from a regulation that changes. Each version of the rules
(a rule set) is recorded once, with the date it came into force and, for
each criterion, the text it cites (the article, where known; where the
source does not say, the officer leaves it empty rather than invent one).
An evaluation is checked against, and cites, the rule set in force on its
own effective date, so a later amendment never re-labels past evaluations.

One rule book for the whole registry: it is an aggregate of its own, with a
fixed id, so two officers recording rule sets at once cannot both succeed
on a stale view.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from registry.domain.criteria import Criterion
from registry.domain.decisions import Decision, checked_decision
from registry.domain.exceptions import InvalidRuleSetError
from registry.domain.text import MAX_NAME_LENGTH, optional_text, require_identifier, require_text

RULE_BOOK_ID = uuid5(UUID("6f1c1f3e-3b8e-5a43-9d5c-1f2b1e7a9c44"), "rule-book")


@dataclass(frozen=True)
class RuleSet:
    """One version of the rules: what it is called, from when, and what each criterion cites."""

    identifier: str
    title: str
    in_force_from: date
    citations: Mapping[Criterion, str | None]


class RuleBook(Aggregate):
    """Every rule set ever recorded; the one in force on a date is the latest begun by then.

    Its topics are stored data, pinned like the partner's.
    """

    TOPIC = "registry.rules:RuleBook"

    class Created(Aggregate.Created):
        TOPIC = "registry.rules:RuleBook.Created"

    class Opened(Aggregate.Created):
        TOPIC = "registry.rules:RuleBook.Opened"
        class_version = 1

    class RuleSetRecorded(Aggregate.Event):
        TOPIC = "registry.rules:RuleBook.RuleSetRecorded"
        class_version = 1
        identifier: str
        title: str
        in_force_from: date
        citations: dict[str, str | None]
        effective_date: date
        actor: str
        reason: str

    @staticmethod
    def create_id() -> UUID:
        """The one rule book's id."""
        return RULE_BOOK_ID

    @event(Opened)
    def __init__(self) -> None:
        self.rule_sets: dict[str, dict[str, Any]] = {}

    def record(self, rules: RuleSet, decision: Decision, *, today: date) -> None:
        """Record a rule set once; its identifier and its first day are its own."""
        decided = checked_decision(decision, today=today)
        identifier = require_identifier("rule set identifier", rules.identifier)
        title = require_text("rule set title", rules.title, MAX_NAME_LENGTH)
        missing = [c.value for c in Criterion if c not in rules.citations]
        if missing:
            raise InvalidRuleSetError(
                "The rule set gives no entry for: %(missing)s. Give each criterion its "
                "citation, or an empty one where the source does not name the article.",
                missing=", ".join(missing),
            )
        self._check_new(identifier, rules.in_force_from)
        self._record_rule_set(
            identifier=identifier,
            title=title,
            in_force_from=rules.in_force_from,
            citations={
                c.value: optional_text(
                    f"citation for {c.value.replace('_', ' ')}", rules.citations[c]
                )
                for c in Criterion
            },
            effective_date=decided.effective_date,
            actor=decided.actor,
            reason=decided.reason,
        )

    def _check_new(self, identifier: str, begins: date) -> None:
        if identifier.casefold() in (known.casefold() for known in self.rule_sets):
            raise InvalidRuleSetError(
                "A rule set %(identifier)r is already recorded.", identifier=identifier
            )
        same_day = [
            r["identifier"] for r in self.rule_sets.values() if r["in_force_from"] == begins
        ]
        if same_day:
            raise InvalidRuleSetError(
                "%(identifier)s already comes into force on %(begins)s; two rule sets cannot "
                "both begin on one day.",
                identifier=same_day[0],
                begins=begins,
            )

    @event(RuleSetRecorded)
    def _record_rule_set(
        self, identifier: str, title: str, in_force_from: date, citations: dict[str, str | None],
        effective_date: date, actor: str, reason: str,
    ) -> None:  # fmt: skip
        self.rule_sets[identifier] = {
            "identifier": identifier, "title": title, "in_force_from": in_force_from,
            "citations": citations,
        }  # fmt: skip

    def in_force_on(self, day: date) -> dict[str, Any] | None:
        """The rule set in force on ``day`` (None: no rule set had begun by then)."""
        begun = [r for r in self.rule_sets.values() if r["in_force_from"] <= day]
        return max(begun, key=lambda r: r["in_force_from"], default=None)
