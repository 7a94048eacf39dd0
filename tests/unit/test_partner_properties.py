"""Random command sequences against a partner, checked against a simple model."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from registry.domain.criteria import Criterion, Verdict
from registry.domain.exceptions import (
    InvalidCommandError,
    InvalidObjectionError,
    InvalidSuspensionError,
    InvalidWarningError,
    PartnerTerminatedError,
    PartnerWithdrawnError,
)
from registry.domain.partner import OBJECTION_WINDOW, Partner, Status
from tests.builders import TODAY, YESTERDAY, decision, findings, obligation, registered

offsets = st.integers(min_value=-3, max_value=2)
near = st.integers(min_value=-1, max_value=1)
"""Offsets for decisions on decisions: mostly valid dates, so the runs go on to their effects."""
verdicts = st.sampled_from([Verdict.PASS, Verdict.FAIL])


class PartnerLifecycle(RuleBasedStateMachine):
    """The partner and a model of what it should be, driven by the same commands."""

    def __init__(self) -> None:
        super().__init__()
        self.partner = registered()
        self.events: list[Any] = list(self.partner.collect_events())
        self.accepted = 1
        self.terminated = False
        self.withdrawn = False
        self.suspended_since: date | None = None
        self.open_warnings: dict[int, tuple[date, date]] = {}
        """Open warnings by number: (effective date, deadline)."""
        self.issued = 0
        self.website: str | None = None
        self.registered_website: str | None = None
        """The registration's website, as corrected so far."""
        self.objectionable: dict[int, tuple[str, date, int | None]] = {}
        """Warnings, suspensions and terminations by version: (type, effective, warning)."""
        self.suspended_by: int | None = None
        self.objections: dict[int, dict[str, Any]] = {}

    def _apply(
        self, command: Any, *, valid: bool, after_termination: bool = False, after_end: bool = False
    ) -> bool:
        """Run a command; ``after_termination``/``after_end``: allowed once terminated/ended."""
        version_before = self.partner.version
        try:
            command()
        except PartnerTerminatedError:
            assert self.terminated
            assert not after_termination
            assert self.partner.version == version_before
            return False
        except PartnerWithdrawnError:
            assert self.withdrawn
            assert self.partner.version == version_before
            return False
        except (
            InvalidCommandError,
            InvalidWarningError,
            InvalidSuspensionError,
            InvalidObjectionError,
        ):
            assert not valid
            assert self.partner.version == version_before
            return False
        assert valid
        assert after_end or after_termination or not self.terminated
        assert after_end or not self.withdrawn
        self.accepted += 1
        self.events.extend(self.partner.collect_events())
        return True

    @staticmethod
    def _effective(offset: int) -> date:
        return YESTERDAY + timedelta(days=offset)

    @staticmethod
    def _allowed(effective: date) -> bool:
        """Not in the future, not before the registration (effective YESTERDAY)."""
        return YESTERDAY <= effective <= TODAY

    @rule(offset=offsets, verdict=verdicts, met=st.booleans())
    def evaluate(self, offset: int, verdict: Verdict, met: bool) -> None:
        effective = self._effective(offset)
        accepted = self._apply(
            lambda: self.partner.evaluate(
                findings(technology=verdict),
                [obligation(met=met)],
                decision(effective_date=effective),
                today=TODAY,
            ),
            valid=self._allowed(effective),
        )
        if accepted and verdict is Verdict.PASS and met:
            cured = [n for n, (since, _) in self.open_warnings.items() if since <= effective]
            for number in cured:
                del self.open_warnings[number]

    @rule(offset=offsets, deadline_days=st.integers(min_value=-1, max_value=2))
    def warn(self, offset: int, deadline_days: int) -> None:
        effective = self._effective(offset)
        deadline = TODAY + timedelta(days=deadline_days)
        accepted = self._apply(
            lambda: self.partner.warn(
                decision(effective_date=effective),
                deadline=deadline,
                today=TODAY,
                criterion=Criterion.NATIONAL_COVERAGE,
            ),
            valid=self._allowed(effective) and deadline > TODAY,
        )
        if accepted:
            self.issued += 1
            self.open_warnings[self.issued] = (effective, deadline)
            self.objectionable[self.accepted] = ("Warned", effective, self.issued)

    def _may_act_on(self, number: int, effective: date) -> bool:
        """An open warning, and a decision on it taking effect no earlier than it did."""
        warning = self.open_warnings.get(number)
        return self._allowed(effective) and warning is not None and effective >= warning[0]

    @rule(number=st.integers(min_value=0, max_value=3), offset=offsets)
    def withdraw_warning(self, number: int, offset: int) -> None:
        effective = self._effective(offset)
        if self._apply(
            lambda: self.partner.withdraw_warning(
                number, decision(effective_date=effective), today=TODAY
            ),
            valid=self._may_act_on(number, effective),
        ):
            del self.open_warnings[number]

    @rule(number=st.integers(min_value=0, max_value=3), offset=offsets)
    def resolve_warning(self, number: int, offset: int) -> None:
        effective = self._effective(offset)
        if self._apply(
            lambda: self.partner.resolve_warning(
                number, decision(effective_date=effective), evidence="Remedied", today=TODAY
            ),
            valid=self._may_act_on(number, effective),
        ):
            del self.open_warnings[number]

    @rule(number=st.integers(min_value=0, max_value=3), offset=offsets,
          days=st.integers(min_value=-1, max_value=3))  # fmt: skip
    def extend_deadline(self, number: int, offset: int, days: int) -> None:
        effective = self._effective(offset)
        deadline = TODAY + timedelta(days=days)
        valid = self._may_act_on(number, effective) and deadline > self.open_warnings[number][1]
        if self._apply(
            lambda: self.partner.extend_deadline(
                number, decision(effective_date=effective), deadline=deadline, today=TODAY
            ),
            valid=valid,
        ):
            self.open_warnings[number] = (self.open_warnings[number][0], deadline)

    @rule(offset=offsets, website=st.sampled_from([None, "https://a.id", "https://b.id", " "]))
    def amend_details(self, offset: int, website: str | None) -> None:
        effective = self._effective(offset)
        cleaned = website.strip() or None if website is not None else None
        if self._apply(
            lambda: self.partner.amend_details(
                {"website": website}, decision(effective_date=effective), today=TODAY
            ),
            valid=self._allowed(effective) and cleaned != self.website,
        ):
            self.website = cleaned

    @rule(website=st.sampled_from([None, "https://a.id", "https://c.id", " https://c.id "]))
    def correct_registered_website(self, website: str | None) -> None:
        """A correction of the registration: the current website follows it unless amended."""
        cleaned = website.strip() or None if website is not None else None
        if self._apply(
            lambda: self.partner.correct(self.events, 1, {"website": website},
                                         actor="officer.siti", reason="Typed wrong"),
            valid=cleaned != self.registered_website,
            after_end=True,
        ):  # fmt: skip
            if self.website == self.registered_website:
                self.website = cleaned
            self.registered_website = cleaned

    @rule(offset=offsets)
    def suspend(self, offset: int) -> None:
        effective = self._effective(offset)
        if self._apply(
            lambda: self.partner.suspend(decision(effective_date=effective), today=TODAY),
            valid=self._allowed(effective) and self.suspended_since is None,
        ):
            self.suspended_since = effective
            self.suspended_by = self.accepted
            self.objectionable[self.accepted] = ("Suspended", effective, None)

    @rule(offset=offsets)
    def reinstate(self, offset: int) -> None:
        effective = self._effective(offset)
        since = self.suspended_since
        if self._apply(
            lambda: self.partner.reinstate(decision(effective_date=effective), today=TODAY),
            valid=self._allowed(effective) and since is not None and effective >= since,
        ):
            self.suspended_since = self.suspended_by = None

    @precondition(lambda self: self.accepted >= 5)
    @rule(offset=offsets)
    def withdraw(self, offset: int) -> None:
        """Only after some life, as termination."""
        effective = self._effective(offset)
        if self._apply(
            lambda: self.partner.withdraw(decision(effective_date=effective), today=TODAY),
            valid=self._allowed(effective),
        ):
            self.withdrawn = True

    @precondition(lambda self: self.accepted >= 5)
    @rule(offset=offsets)
    def terminate(self, offset: int) -> None:
        """Only after some life: a termination ends the run's interest early."""
        effective = self._effective(offset)
        if self._apply(
            lambda: self.partner.terminate(decision(effective_date=effective), today=TODAY),
            valid=self._allowed(effective),
        ):
            self.terminated = True
            self.objectionable[self.accepted] = ("Terminated", effective, None)

    @precondition(lambda self: self.objectionable)
    @rule(pick=st.integers(min_value=0, max_value=4), offset=near)
    def lodge_objection(self, pick: int, offset: int) -> None:
        """Mostly against a decision that can be objected to, sometimes against any version."""
        decisions = sorted(self.objectionable)
        version = decisions[pick % len(decisions)] if pick < 4 else pick
        effective = self._effective(offset)
        objected = self.objectionable.get(version)
        valid = (
            self._allowed(effective) and objected is not None
            and objected[1] <= effective <= objected[1] + OBJECTION_WINDOW
            and all(o["against"] != version for o in self.objections.values())
        )  # fmt: skip
        if self._apply(
            lambda: self.partner.lodge_objection(
                version, decision(effective_date=effective), today=TODAY
            ),
            valid=valid,
            after_termination=True,
        ):
            assert objected is not None
            self.objections[len(self.objections) + 1] = {
                "against": version, "type": objected[0], "warning": objected[2],
                "lodged": effective, "decided": False,
            }  # fmt: skip

    @precondition(lambda self: self.objections)
    @rule(pick=st.integers(min_value=0, max_value=3), offset=near, upheld=st.booleans())
    def decide_objection(self, pick: int, offset: int, upheld: bool) -> None:
        """Mostly an objection lodged, sometimes a number never given."""
        number = (pick % len(self.objections)) + 1 if pick < 3 else pick
        effective = self._effective(offset)
        objection = self.objections.get(number)
        valid = (
            self._allowed(effective) and objection is not None and not objection["decided"]
            and effective >= objection["lodged"]
        )  # fmt: skip
        if not self._apply(
            lambda: self.partner.decide_objection(
                number, decision(effective_date=effective), upheld=upheld, today=TODAY
            ),
            valid=valid,
            after_termination=True,
        ):
            return
        assert objection is not None
        objection["decided"] = True
        if upheld:
            self._lift(objection)

    def _lift(self, objection: dict[str, Any]) -> None:
        """What an upheld objection undoes: the decision objected to, if still in force."""
        if objection["type"] == "Terminated":
            self.terminated = False
        elif objection["type"] == "Suspended" and self.suspended_by == objection["against"]:
            self.suspended_since = self.suspended_by = None
        elif objection["type"] == "Warned":
            self.open_warnings.pop(objection["warning"], None)

    @invariant()
    def version_counts_accepted_commands(self) -> None:
        assert self.partner.version == self.accepted

    @invariant()
    def status_follows_terminations_and_open_warnings(self) -> None:
        if self.terminated:
            assert self.partner.status is Status.TERMINATED
        elif self.withdrawn:
            assert self.partner.status is Status.WITHDRAWN
        elif self.suspended_since is not None:
            assert self.partner.status is Status.SUSPENDED
        elif self.open_warnings:
            assert self.partner.status is Status.WARNED
        else:
            assert self.partner.status is Status.ACTIVE
        assert {n: (w["effective_date"], w["deadline"])
                for n, w in self.partner.open_warnings.items()} == self.open_warnings  # fmt: skip
        assert self.partner.platform["website"] == self.website

    @invariant()
    def replaying_the_events_rebuilds_the_same_partner(self) -> None:
        replayed: Any = None
        for event in copy.deepcopy(self.events):
            replayed = event.mutate(replayed)
        assert isinstance(replayed, Partner)
        assert vars(replayed) == {
            k: v for k, v in vars(self.partner).items() if k != "_pending_events"
        } | {"_pending_events": []}


TestPartnerLifecycle = PartnerLifecycle.TestCase
# Each step runs the domain while Hypothesis draws the next one, so on a loaded
# CI machine drawing is slow; that says nothing about the property checked.
TestPartnerLifecycle.settings = settings(
    max_examples=150, stateful_step_count=30, suppress_health_check=[HealthCheck.too_slow]
)
