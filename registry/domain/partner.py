"""A platform's partnership with the programme, as an event-sourced aggregate.

Commands (``register``, ``amend_details``, ``evaluate``, ``warn``,
``withdraw_warning``, ``resolve_warning``, ``extend_deadline``, ``suspend``,
``reinstate``, ``withdraw``, ``terminate``, ``lodge_objection``,
``decide_objection``, ``correct``) check every invariant and
compute what the event must say; only then do they call a decorated
method, whose body just applies the event. Replaying history therefore
never re-runs today's rules against yesterday's decisions.

Events carry plain data (strings, booleans, dates, lists and dicts) so that
they read the same in the store, on Kafka and in the audit trail. Each event
class declares ``class_version``: a later change of shape adds an
``upcast_vN_vN+1`` method instead of rewriting stored history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, cast

from eventsourcing.domain import Aggregate, event

from registry.domain.corrections import Fact, corrected_facts, fact_of, planned
from registry.domain.criteria import (
    Criterion,
    CriterionFinding,
    ObligationCheck,
    Outcome,
    check_criteria_complete,
    check_obligations,
    check_verdicts,
    outcome_of,
)
from registry.domain.decisions import Decision, checked_decision
from registry.domain.exceptions import (
    InvalidCommandError,
    InvalidObjectionError,
    InvalidSuspensionError,
    InvalidWarningError,
    PartnerTerminatedError,
    PartnerWithdrawnError,
    Term,
)
from registry.domain.platforms import Declaration, checked_platform
from registry.domain.text import MAX_NAME_LENGTH, optional_text, require_text

AMENDABLE = ("name", "legal_name", "registration_number", "website", "commission_terms")
"""The details a platform may change during its partnership; the rest were judged eligible."""

OBJECTION_WINDOW = timedelta(days=21)
"""How long after a warning, suspension or termination takes effect the platform may object.

This register's rule, counted in calendar days from the decision's
effective date; the statute the programme applies may count otherwise, so
the window is one constant to change, not a rule spread through the code.
"""

_NOT_DECLARED = frozenset(
    {"originator_id", "originator_version", "originator_topic", "timestamp"}
    | {"effective_date", "actor", "reason"}
)


class Status(StrEnum):
    """Where a partnership stands."""

    ACTIVE = "active"
    WARNED = "warned"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"
    WITHDRAWN = "withdrawn"

    @property
    def ended(self) -> bool:
        """Whether the partnership is over (terminated, or withdrawn by the platform): final."""
        return self in (Status.TERMINATED, Status.WITHDRAWN)


class Partner(Aggregate):
    """One partnership, from registration to (possibly) termination.

    The topics are stored with every event, so they are pinned here: moving
    or renaming a class must never orphan the history already recorded.
    """

    TOPIC = "registry.domain:Partner"

    class Created(Aggregate.Created):
        TOPIC = "registry.domain:Partner.Created"

    class Registered(Aggregate.Created):
        TOPIC = "registry.domain:Partner.Registered"
        class_version = 2
        platform: Declaration
        effective_date: date
        actor: str
        reason: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 kept the declaration's fields beside the decision's."""
            state["platform"] = {k: state.pop(k) for k in list(state) if k not in _NOT_DECLARED}

    class DetailsAmended(Aggregate.Event):
        TOPIC = "registry.domain:Partner.DetailsAmended"
        class_version = 1
        changes: dict[str, str | None]
        previous: dict[str, str | None]
        effective_date: date
        actor: str
        reason: str

    class Evaluated(Aggregate.Event):
        TOPIC = "registry.domain:Partner.Evaluated"
        class_version = 1
        criteria: dict[str, dict[str, str | None]]
        obligations: list[dict[str, Any]]
        outcome: str
        resolved_warnings: list[int]
        effective_date: date
        actor: str
        reason: str
        rule_set: dict[str, str] | None

    class Warned(Aggregate.Event):
        TOPIC = "registry.domain:Partner.Warned"
        class_version = 1
        warning_number: int
        criterion: str | None
        obligation: str | None
        deadline: date
        effective_date: date
        actor: str
        reason: str

    class WarningWithdrawn(Aggregate.Event):
        TOPIC = "registry.domain:Partner.WarningWithdrawn"
        class_version = 1
        warning_number: int
        effective_date: date
        actor: str
        reason: str

    class WarningResolved(Aggregate.Event):
        TOPIC = "registry.domain:Partner.WarningResolved"
        class_version = 1
        warning_number: int
        evidence: str
        effective_date: date
        actor: str
        reason: str

    class WarningDeadlineExtended(Aggregate.Event):
        TOPIC = "registry.domain:Partner.WarningDeadlineExtended"
        class_version = 1
        warning_number: int
        deadline: date
        previous_deadline: date
        effective_date: date
        actor: str
        reason: str

    class Terminated(Aggregate.Event):
        TOPIC = "registry.domain:Partner.Terminated"
        class_version = 1
        effective_date: date
        actor: str
        reason: str

    class Suspended(Aggregate.Event):
        TOPIC = "registry.domain:Partner.Suspended"
        class_version = 1
        effective_date: date
        actor: str
        reason: str

    class Reinstated(Aggregate.Event):
        TOPIC = "registry.domain:Partner.Reinstated"
        class_version = 1
        effective_date: date
        actor: str
        reason: str

    class Withdrawn(Aggregate.Event):
        TOPIC = "registry.domain:Partner.Withdrawn"
        class_version = 1
        effective_date: date
        actor: str
        reason: str

    class ObjectionLodged(Aggregate.Event):
        TOPIC = "registry.domain:Partner.ObjectionLodged"
        class_version = 1
        objection_number: int
        against_version: int
        against_type: str
        warning_number: int | None
        effective_date: date
        actor: str
        reason: str

    class ObjectionDecided(Aggregate.Event):
        TOPIC = "registry.domain:Partner.ObjectionDecided"
        class_version = 1
        objection_number: int
        outcome: str
        lifted: str | None
        effective_date: date
        actor: str
        reason: str

    class Corrected(Aggregate.Event):
        TOPIC = "registry.domain:Partner.Corrected"
        class_version = 1
        corrected_version: int
        corrected_type: str
        fact_version: int
        fact_type: str
        warning_number: int | None
        changes: dict[str, str | None]
        previous: dict[str, str | None]
        effective_date: date
        actor: str
        reason: str

    @classmethod
    def register(cls, platform: Declaration, decision: Decision, *, today: date) -> Partner:
        """Start a partnership for an eligible platform."""
        declared = checked_platform(platform)
        decided = checked_decision(decision, today=today)
        return cls(
            platform=declared,
            effective_date=decided.effective_date,
            actor=decided.actor,
            reason=decided.reason,
        )

    @event(Registered)
    def __init__(
        self, platform: Declaration, effective_date: date, actor: str, reason: str
    ) -> None:
        self.platform = platform
        self.registered_on = effective_date
        self.latest_evaluation: dict[str, Any] | None = None
        self.open_warnings: dict[int, dict[str, Any]] = {}
        self.warnings_issued = 0
        self.terminated_on: date | None = None
        self.termination_reason: str | None = None
        self.suspended_on: date | None = None
        self.withdrawn_on: date | None = None
        self.withdrawal_reason: str | None = None
        self.objectionable: dict[int, dict[str, Any]] = {}
        """The warnings, suspensions and terminations by version: what may be objected to."""
        self.suspended_by: int | None = None
        self.objections: dict[int, dict[str, Any]] = {}

    @property
    def name(self) -> str:
        """The platform's public name, by which officers and messages know it."""
        return self.platform["name"]

    @property
    def status(self) -> Status:
        """Terminated and withdrawn are final; then suspension; then an open warning."""
        if self.terminated_on is not None:
            return Status.TERMINATED
        if self.withdrawn_on is not None:
            return Status.WITHDRAWN
        if self.suspended_on is not None:
            return Status.SUSPENDED
        return Status.WARNED if self.open_warnings else Status.ACTIVE

    def amend_details(
        self, changes: Mapping[str, str | None], decision: Decision, *, today: date
    ) -> None:
        """Record that the platform changed a name, number, address or its commission terms.

        Only what actually changes is recorded, each beside the value it replaces.
        """
        decided = self._checked(decision, today, "an amendment of details")
        unknown = sorted(set(changes) - set(AMENDABLE))
        if unknown:
            raise InvalidCommandError(
                "%(unknown)s cannot be amended; only %(amendable)s can.",
                unknown=", ".join(unknown),
                amendable=", ".join(AMENDABLE),
            )
        amended = checked_platform(cast(Declaration, self.platform | dict(changes)))
        changed = {k: amended[k] for k in changes if amended[k] != self.platform[k]}  # type: ignore[literal-required]
        if not changed:
            raise InvalidCommandError(
                "The amendment changes none of %(name)s's details.", name=self.name
            )
        self._record_amendment(
            changes=changed,
            previous={k: self.platform[k] for k in changed},  # type: ignore[literal-required]
            effective_date=decided.effective_date,
            actor=decided.actor,
            reason=decided.reason,
        )

    @event(DetailsAmended)
    def _record_amendment(
        self, changes: dict[str, str | None], previous: dict[str, str | None],
        effective_date: date, actor: str, reason: str,
    ) -> None:  # fmt: skip
        self.platform = cast(Declaration, self.platform | changes)

    def evaluate(
        self,
        criteria: Mapping[Criterion, CriterionFinding],
        obligations: Sequence[ObligationCheck],
        decision: Decision,
        *,
        today: date,
        rules: Mapping[str, Any] | None = None,
    ) -> None:
        """Record an evaluation; a compliant one resolves the open warnings in effect by then.

        ``rules`` is the rule set in force on the evaluation's effective date
        (``RuleBook.in_force_on``): the evaluation names it and cites, for
        each criterion, what it cites. Without one, nothing is cited.
        """
        decided = self._checked(decision, today, "an evaluation")
        check_criteria_complete(criteria)
        check_verdicts(criteria, exempted=self.platform["exemption_basis"] is not None)
        check_obligations(obligations)
        outcome = outcome_of(criteria, obligations)
        resolved = self._cured_by(outcome, decided.effective_date)
        self._record_evaluation(
            criteria={
                c.value: {"verdict": f.verdict.value, "finding": f.finding.strip()}
                | ({"citation": rules["citations"][c.value]} if rules else {})
                for c, f in sorted(criteria.items())
            },
            obligations=[
                {
                    "obligation": o.obligation.strip(),
                    "met": o.met,
                    "finding": o.finding.strip(),
                }
                for o in obligations
            ],
            outcome=outcome.value,
            resolved_warnings=resolved,
            effective_date=decided.effective_date,
            actor=decided.actor,
            reason=decided.reason,
            rule_set=_rule_set_named(rules),
        )

    @event(Evaluated)
    def _record_evaluation(
        self,
        criteria: dict[str, dict[str, str | None]],
        obligations: list[dict[str, Any]],
        outcome: str,
        resolved_warnings: list[int],
        effective_date: date,
        actor: str,
        reason: str,
        rule_set: dict[str, str] | None = None,
    ) -> None:
        """Evaluations recorded before rule sets existed carry no rule set: None."""
        latest = self.latest_evaluation
        if latest is None or effective_date >= latest["effective_date"]:
            self.latest_evaluation = {
                "outcome": outcome,
                "effective_date": effective_date,
                "criteria": criteria,
                "obligations": obligations,
                "actor": actor,
                "rule_set": rule_set,
            }
        for number in resolved_warnings:
            self.open_warnings.pop(number, None)

    def warn(
        self,
        decision: Decision,
        *,
        deadline: date,
        today: date,
        criterion: Criterion | None = None,
        obligation: str | None = None,
    ) -> None:
        """Warn of a breach of one criterion or obligation, with time to remedy it."""
        decided = self._checked(decision, today, "a warning")
        obligation = optional_text("obligation", obligation)
        if (criterion is None) == (obligation is None):
            raise InvalidWarningError(
                "Name exactly one criterion or one obligation that the breach concerns."
            )
        if deadline <= today:
            raise InvalidWarningError(
                "The deadline to remedy, %(deadline)s, must be after today (%(today)s).",
                deadline=deadline,
                today=today,
            )
        self._record_warning(
            warning_number=self.warnings_issued + 1,
            criterion=criterion.value if criterion is not None else None,
            obligation=obligation,
            deadline=deadline,
            effective_date=decided.effective_date,
            actor=decided.actor,
            reason=decided.reason,
        )

    @event(Warned)
    def _record_warning(
        self,
        warning_number: int,
        criterion: str | None,
        obligation: str | None,
        deadline: date,
        effective_date: date,
        actor: str,
        reason: str,
    ) -> None:
        self.warnings_issued = warning_number
        self._objectionable("Warned", effective_date, warning_number)
        self.open_warnings[warning_number] = {
            "warning_number": warning_number,
            "criterion": criterion,
            "obligation": obligation,
            "deadline": deadline,
            "breach": reason,
            "effective_date": effective_date,
        }

    def withdraw_warning(self, warning_number: int, decision: Decision, *, today: date) -> None:
        """Withdraw an open warning issued in error: no breach, so nothing was resolved."""
        decided = self._checked(decision, today, "a withdrawal of a warning")
        self._open_warning(warning_number, decided.effective_date)
        self._record_withdrawal(
            warning_number=warning_number,
            effective_date=decided.effective_date,
            actor=decided.actor,
            reason=decided.reason,
        )

    @event(WarningWithdrawn)
    def _record_withdrawal(
        self, warning_number: int, effective_date: date, actor: str, reason: str
    ) -> None:
        self.open_warnings.pop(warning_number, None)

    def resolve_warning(
        self, warning_number: int, decision: Decision, *, evidence: str, today: date
    ) -> None:
        """Close an open warning on the evidence that the breach was remedied."""
        decided = self._checked(decision, today, "a resolution of a warning")
        shown = require_text("evidence", evidence)
        self._open_warning(warning_number, decided.effective_date)
        self._record_resolution(
            warning_number=warning_number,
            evidence=shown,
            effective_date=decided.effective_date,
            actor=decided.actor,
            reason=decided.reason,
        )

    @event(WarningResolved)
    def _record_resolution(
        self, warning_number: int, evidence: str, effective_date: date, actor: str, reason: str
    ) -> None:
        self.open_warnings.pop(warning_number, None)

    def extend_deadline(
        self, warning_number: int, decision: Decision, *, deadline: date, today: date
    ) -> None:
        """Give an open warning more time; a deadline only ever moves forward."""
        decided = self._checked(decision, today, "an extension of a deadline")
        warning = self._open_warning(warning_number, decided.effective_date)
        current: date = warning["deadline"]
        if deadline <= current:
            raise InvalidWarningError(
                "A deadline can only be extended: %(deadline)s is not after warning "
                "#%(number)s's deadline, %(current)s.",
                deadline=deadline,
                number=warning_number,
                current=current,
            )
        self._record_extension(
            warning_number=warning_number,
            deadline=deadline,
            previous_deadline=current,
            effective_date=decided.effective_date,
            actor=decided.actor,
            reason=decided.reason,
        )

    @event(WarningDeadlineExtended)
    def _record_extension(
        self, warning_number: int, deadline: date, previous_deadline: date,
        effective_date: date, actor: str, reason: str,
    ) -> None:  # fmt: skip
        self.open_warnings[warning_number] = self.open_warnings[warning_number] | {
            "deadline": deadline
        }

    def suspend(self, decision: Decision, *, today: date) -> None:
        """Pause sales while the programme investigates; lifted by reinstatement or ended."""
        decided = self._checked(decision, today, "a suspension")
        if self.suspended_on is not None:
            raise InvalidSuspensionError(
                "%(name)s is already suspended, since %(since)s.",
                name=self.name,
                since=self.suspended_on,
            )
        self._record_suspension(
            effective_date=decided.effective_date, actor=decided.actor, reason=decided.reason
        )

    @event(Suspended)
    def _record_suspension(self, effective_date: date, actor: str, reason: str) -> None:
        self.suspended_on = effective_date
        self.suspended_by = self._objectionable("Suspended", effective_date)

    def reinstate(self, decision: Decision, *, today: date) -> None:
        """Lift a suspension: the partner may sell again."""
        decided = self._checked(decision, today, "a reinstatement")
        if self.suspended_on is None:
            raise InvalidSuspensionError("%(name)s is not suspended.", name=self.name)
        if decided.effective_date < self.suspended_on:
            raise InvalidSuspensionError(
                "The suspension took effect on %(since)s; the reinstatement cannot take "
                "effect before, on %(effective)s.",
                since=self.suspended_on,
                effective=decided.effective_date,
            )
        self._record_reinstatement(
            effective_date=decided.effective_date, actor=decided.actor, reason=decided.reason
        )

    @event(Reinstated)
    def _record_reinstatement(self, effective_date: date, actor: str, reason: str) -> None:
        self.suspended_on = None
        self.suspended_by = None

    def withdraw(self, decision: Decision, *, today: date) -> None:
        """Record that the platform left the programme of its own accord: final, not a breach."""
        decided = self._checked(decision, today, "a withdrawal")
        self._record_withdrawal_from_programme(
            effective_date=decided.effective_date, actor=decided.actor, reason=decided.reason
        )

    @event(Withdrawn)
    def _record_withdrawal_from_programme(
        self, effective_date: date, actor: str, reason: str
    ) -> None:
        self.withdrawn_on = effective_date
        self.withdrawal_reason = reason

    def _open_warning(self, number: int, effective: date) -> dict[str, Any]:
        """An open warning, which a decision taking effect on ``effective`` may act on."""
        warning = self.open_warnings.get(number)
        if warning is None:
            if 1 <= number <= self.warnings_issued:
                raise InvalidWarningError(
                    "Warning #%(number)s to %(name)s is no longer open.",
                    number=number,
                    name=self.name,
                )
            raise InvalidWarningError(
                "Warning #%(number)s to %(name)s was never issued.", number=number, name=self.name
            )
        if effective < warning["effective_date"]:
            raise InvalidWarningError(
                "Warning #%(number)s took effect on %(since)s; a decision on it cannot take "
                "effect before, on %(effective)s.",
                number=number,
                since=warning["effective_date"],
                effective=effective,
            )
        return warning

    def terminate(self, decision: Decision, *, today: date) -> None:
        """End the partnership for good; it stays in the public record."""
        decided = self._checked(decision, today, "a termination")
        self._record_termination(
            effective_date=decided.effective_date,
            actor=decided.actor,
            reason=decided.reason,
        )

    @event(Terminated)
    def _record_termination(self, effective_date: date, actor: str, reason: str) -> None:
        self.terminated_on = effective_date
        self.termination_reason = reason
        self._objectionable("Terminated", effective_date)

    def _objectionable(self, kind: str, effective: date, warning_number: int | None = None) -> int:
        """Note a decision the platform may object to, under the version its event will have.

        Called while the event is applied, before the library moves the
        version on, so the event's own version is the next one.
        """
        version = self.version + 1
        self.objectionable[version] = {
            "type": kind, "effective_date": effective, "warning_number": warning_number,
        }  # fmt: skip
        return version

    def lodge_objection(self, against_version: int, decision: Decision, *, today: date) -> None:
        """Record the platform's objection (keberatan) to a warning, suspension or termination.

        The reason is the platform's grounds; the actor the officer who
        received it. A terminated partner may still object: that is the
        only way back from a termination.
        """
        decided = self._checked(decision, today, "an objection", after_termination=True)
        objected = self.objectionable.get(against_version)
        if objected is None:
            raise InvalidObjectionError(
                "Event %(version)s of %(name)s is not a warning, suspension or termination; "
                "only those can be objected to.",
                version=against_version,
                name=self.name,
            )
        self._check_lodging(against_version, objected, decided.effective_date)
        self._record_objection(
            objection_number=len(self.objections) + 1,
            against_version=against_version,
            against_type=objected["type"],
            warning_number=objected["warning_number"],
            effective_date=decided.effective_date,
            actor=decided.actor,
            reason=decided.reason,
        )

    def _check_lodging(self, version: int, objected: dict[str, Any], lodged: date) -> None:
        earlier = [n for n, o in self.objections.items() if o["against_version"] == version]
        if earlier:
            raise InvalidObjectionError(
                "The decision of event %(version)s (%(type)s) was already objected to: "
                "objection #%(number)s.",
                version=version,
                type=Term(objected["type"]),
                number=earlier[0],
            )
        since: date = objected["effective_date"]
        if not since <= lodged <= since + OBJECTION_WINDOW:
            raise InvalidObjectionError(
                "An objection to event %(version)s (effective %(since)s) must be lodged on or "
                "after that day and by %(until)s; %(lodged)s is outside that window.",
                version=version,
                since=since,
                until=since + OBJECTION_WINDOW,
                lodged=lodged,
            )

    @event(ObjectionLodged)
    def _record_objection(
        self, objection_number: int, against_version: int, against_type: str,
        warning_number: int | None, effective_date: date, actor: str, reason: str,
    ) -> None:  # fmt: skip
        self.objections[objection_number] = {
            "objection_number": objection_number, "against_version": against_version,
            "against_type": against_type, "warning_number": warning_number,
            "lodged_on": effective_date, "grounds": reason, "outcome": None,
        }  # fmt: skip

    def decide_objection(
        self, number: int, decision: Decision, *, upheld: bool, today: date
    ) -> None:
        """Decide an objection; upholding one undoes the decision objected to, if still in force.

        An upheld objection to a termination restores the partnership; to a
        suspension still in force, lifts it; to a warning still open, closes it.
        """
        decided = self._checked(
            decision, today, "a decision on an objection", after_termination=True
        )
        objection = self.objections.get(number)
        if objection is None:
            raise InvalidObjectionError(
                "No objection #%(number)s was lodged by %(name)s.", number=number, name=self.name
            )
        if objection["outcome"] is not None:
            raise InvalidObjectionError(
                "Objection #%(number)s was already decided: %(outcome)s.",
                number=number,
                outcome=Term(objection["outcome"]),
            )
        if decided.effective_date < objection["lodged_on"]:
            raise InvalidObjectionError(
                "Objection #%(number)s was lodged on %(lodged)s; it cannot be decided with "
                "effect before, on %(effective)s.",
                number=number,
                lodged=objection["lodged_on"],
                effective=decided.effective_date,
            )
        self._record_objection_decision(
            objection_number=number,
            outcome="upheld" if upheld else "dismissed",
            lifted=self._lifted_by(objection) if upheld else None,
            effective_date=decided.effective_date,
            actor=decided.actor,
            reason=decided.reason,
        )

    def _lifted_by(self, objection: dict[str, Any]) -> str | None:
        """What upholding the objection undoes: the decision, if it is still in force."""
        kind = objection["against_type"]
        if kind == "Terminated" and self.terminated_on is not None:
            return "termination"
        if kind == "Suspended" and self.suspended_by == objection["against_version"]:
            return "suspension"
        if kind == "Warned" and objection["warning_number"] in self.open_warnings:
            return "warning"
        return None

    @event(ObjectionDecided)
    def _record_objection_decision(
        self, objection_number: int, outcome: str, lifted: str | None,
        effective_date: date, actor: str, reason: str,
    ) -> None:  # fmt: skip
        objection = self.objections[objection_number]
        self.objections[objection_number] = objection | {
            "outcome": outcome, "decided_on": effective_date, "decision_reason": reason,
        }  # fmt: skip
        if lifted == "termination":
            self.terminated_on = self.termination_reason = None
        elif lifted == "suspension":
            self.suspended_on = self.suspended_by = None
        elif lifted == "warning":
            self.open_warnings.pop(objection["warning_number"], None)

    def _cured_by(self, outcome: Outcome, effective: date) -> list[int]:
        """The open warnings a compliant evaluation resolves: those in effect by its own date.

        A backdated evaluation cannot cure a breach warned of with effect after
        it; so every point-in-time view folds to a state that makes sense
        (``projections/point_in_time.py``).
        """
        if outcome is not Outcome.COMPLIANT:
            return []
        return sorted(n for n, w in self.open_warnings.items() if w["effective_date"] <= effective)

    def correct(
        self, history: Sequence[Aggregate.Event], version: int, changes: Mapping[str, object],
        *, actor: str, reason: str,
    ) -> None:  # fmt: skip
        """Record what event ``version`` should have said; the event itself stays as it was.

        ``history`` is this partner's events, oldest first: a correction is
        checked against the record as corrected so far. Allowed after the
        partnership ended: the record of an ended partnership must be true too.
        """
        if len(history) != self.version:
            raise ValueError("the history given is not this partner's, at its version")
        correction = planned(_facts_of(history), version, changes)
        self._record_correction(
            corrected_version=correction.corrected_version,
            corrected_type=correction.corrected_type,
            fact_version=correction.fact_version,
            fact_type=correction.fact_type,
            warning_number=correction.warning_number,
            changes=correction.changes,
            previous=correction.previous,
            effective_date=correction.effective_date,
            actor=require_text("actor", actor, MAX_NAME_LENGTH),
            reason=require_text("reason", reason),
        )

    @event(Corrected)
    def _record_correction(
        self, corrected_version: int, corrected_type: str, fact_version: int, fact_type: str,
        warning_number: int | None, changes: dict[str, str | None],
        previous: dict[str, str | None], effective_date: date, actor: str, reason: str,
    ) -> None:  # fmt: skip
        """Correct the partner's current state where it still holds the value corrected."""
        for field, value in changes.items():
            self._correct_fact(fact_type, field, previous[field], value, warning_number)

    def _correct_fact(
        self, kind: str, field: str, was: str | None, value: str | None, warning: int | None
    ) -> None:
        if kind == "Registered" and field in AMENDABLE:
            if self.platform[field] == was:  # type: ignore[literal-required]
                self.platform = cast(Declaration, self.platform | {field: value})
        elif warning is not None and (field == "deadline" or kind == "Warned"):
            self._correct_warning(warning, field, was, value)
        elif kind == "Terminated" and field == "reason" and self.termination_reason == was:
            self.termination_reason = value
        elif kind == "Withdrawn" and field == "reason" and self.withdrawal_reason == was:
            self.withdrawal_reason = value

    def _correct_warning(self, number: int, field: str, was: str | None, value: str | None) -> None:
        """Correct an open warning's deadline or breach, if it still says what was corrected."""
        warning = self.open_warnings.get(number)
        key = "breach" if field == "reason" else field
        if warning is None or value is None:
            return
        held = warning[key]
        if (held.isoformat() if isinstance(held, date) else held) == was:
            new = date.fromisoformat(value) if field == "deadline" else value
            self.open_warnings[number] = warning | {key: new}

    def _checked(
        self, decision: Decision, today: date, what: str, *, after_termination: bool = False
    ) -> Decision:
        """The decision checked; refused once the partnership ended (objections may follow one)."""
        if self.withdrawn_on is not None:
            raise PartnerWithdrawnError(
                "%(name)s withdrew from the programme with effect from %(since)s (%(reason)s); "
                "that end is final, so %(what)s cannot be recorded. A platform that returns "
                "must be registered as a new partnership.",
                name=self.name, since=self.withdrawn_on, reason=self.withdrawal_reason,
                what=Term(what),
            )  # fmt: skip
        if self.terminated_on is not None and not after_termination:
            raise PartnerTerminatedError(
                "%(name)s was terminated with effect from %(since)s (%(reason)s); termination "
                "is final, so %(what)s cannot be recorded. A platform that returns must be "
                "registered as a new partnership.",
                name=self.name, since=self.terminated_on, reason=self.termination_reason,
                what=Term(what),
            )  # fmt: skip
        return checked_decision(decision, today=today, not_before=self.registered_on)


def _facts_of(history: Sequence[Aggregate.Event]) -> dict[int, Fact]:
    """Each event's correctable fact, with the corrections recorded so far applied."""
    facts: dict[int, Fact] = {}
    for version, recorded in enumerate(history, start=1):
        if isinstance(recorded, Partner.Corrected):
            corrected_facts(facts, version, recorded)
        else:
            facts[version] = fact_of(version, type(recorded).__name__, recorded)
    return facts


def _rule_set_named(rules: Mapping[str, Any] | None) -> dict[str, str] | None:
    """How an evaluation names the rule set it applied: identifier, title, first day."""
    if rules is None:
        return None
    return {
        "identifier": rules["identifier"], "title": rules["title"],
        "in_force_from": rules["in_force_from"].isoformat(),
    }  # fmt: skip
