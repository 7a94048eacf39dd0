"""The registry's service layer: one method per command and per query.

Each command loads one partner, lets the aggregate decide, and saves the
resulting event in one transaction (with any identifier claims), so a
command is either wholly recorded or not at all. Queries return plain
snapshots and records, never aggregates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording
from eventsourcing.utils import EnvType, get_topic

from registry.domain.claims import ClaimKind, PlatformClaim, claim_id
from registry.domain.commands import (
    AmendDetails,
    CorrectEvent,
    DecideObjection,
    EvaluatePartner,
    ExtendWarningDeadline,
    LodgeObjection,
    RecordRuleSet,
    RegisterPartner,
    ReinstatePartner,
    ResolveWarning,
    SuspendPartner,
    TerminatePartner,
    WarnPartner,
    WithdrawPartner,
    WithdrawWarning,
)
from registry.domain.exceptions import (
    ConcurrencyConflictError,
    DuplicatePartnerError,
    PartnerNotFoundError,
    StaleVersionError,
    Term,
)
from registry.domain.partner import Partner, Status
from registry.domain.rules import RULE_BOOK_ID, RuleBook
from registry.service.clock import DEFAULT_TIMEZONE, today_in
from registry.service.records import PublicRecord, record_of
from registry.service.transcodings import DateAsISO
from registry.service.views import PartnerDetails, details_of

log = structlog.get_logger(__name__)

REGISTERED_TOPIC = get_topic(Partner.Registered)
_PAGE = 500


@dataclass(frozen=True)
class Recorded:
    """What a command recorded: the event, the partner's new version, its position."""

    partner_id: UUID
    version: int
    position: int
    event: PublicRecord


class PartnerRegistry(Application[UUID]):
    """Records partnerships in the event store and answers questions about them."""

    def __init__(
        self, env: EnvType | None = None, *, today: Callable[[], date] | None = None
    ) -> None:
        super().__init__(env)
        self._today = today or today_in(DEFAULT_TIMEZONE)

    def today(self) -> date:
        """Today's date in the programme's time zone, for effective dates."""
        return self._today()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """Teach the store to keep calendar dates, which events carry."""
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def register(self, command: RegisterPartner) -> Recorded:
        """Start a partnership, refusing a platform that already has a live one.

        Most registrations are of new platforms, so the claims are first
        saved as new: the store refuses them if an identifier is taken, and
        only then are the existing claims read, to name the duplicate or to
        take over from a terminated partnership.
        """
        partner = Partner.register(command.platform, command.decision, today=self.today())
        new_claims = [
            PlatformClaim(kind=kind.value, identifier=identifier, partner_id=partner.id)
            for kind, identifier in _identifiers(partner)
        ]
        try:
            return self._saved(partner, *new_claims)
        except IntegrityError:
            partner = Partner.register(command.platform, command.decision, today=self.today())
        claims = self._claims_for(partner)
        try:
            recordings = self.save(partner, *claims)
        except IntegrityError as error:
            # A concurrent registration won the race: name the duplicate if
            # it was the same platform, else report the conflict.
            self._claims_for(partner)
            raise _conflict(partner.name) from error
        return self._recorded(partner, recordings)

    def amend_details(self, command: AmendDetails) -> Recorded:
        """Record changed details, moving the name and number claims with them.

        A new name or number is claimed (refused if a live partnership holds
        it) and the old one released, in the same transaction as the event.
        """
        partner = self._current(command.partner_id, command.expected_version)
        before = _identifiers(partner)
        partner.amend_details(command.changes, command.decision, today=self.today())
        claims = self._claims_moved(partner, before)
        return self._save(partner, *claims)

    def evaluate(self, command: EvaluatePartner) -> Recorded:
        """Record an evaluation of a partner."""
        partner = self._current(command.partner_id, command.expected_version)
        rules = self.rule_book().in_force_on(command.decision.effective_date)
        partner.evaluate(
            command.criteria, command.obligations, command.decision, today=self.today(),
            rules=rules,
        )  # fmt: skip
        return self._save(partner)

    def record_rule_set(self, command: RecordRuleSet) -> int:
        """Record a rule set in the rule book; returns the rule book's new version."""
        book = self.rule_book()
        book.record(command.rules, command.decision, today=self.today())
        try:
            self.save(book)
        except IntegrityError as error:
            raise ConcurrencyConflictError(
                "The rule book was changed by another command while this one was being "
                "recorded, so nothing was recorded. Try again."
            ) from error
        log.info("rule set recorded", identifier=command.rules.identifier,
                 actor=command.decision.actor, version=book.version)  # fmt: skip
        return book.version

    def rule_book(self) -> RuleBook:
        """The rule book (opened, empty, if no rule set was ever recorded)."""
        try:
            book: Any = self.repository.get(RULE_BOOK_ID)
        except AggregateNotFoundError:
            return RuleBook()
        if not isinstance(book, RuleBook):
            raise TypeError(f"{RULE_BOOK_ID} is not the rule book")
        return book

    def warn(self, command: WarnPartner) -> Recorded:
        """Record a warning to a partner."""
        partner = self._current(command.partner_id, command.expected_version)
        partner.warn(
            command.decision,
            deadline=command.deadline,
            today=self.today(),
            criterion=command.criterion,
            obligation=command.obligation,
        )
        return self._save(partner)

    def withdraw_warning(self, command: WithdrawWarning) -> Recorded:
        """Record the withdrawal of a warning issued in error."""
        partner = self._current(command.partner_id, command.expected_version)
        partner.withdraw_warning(command.warning_number, command.decision, today=self.today())
        return self._save(partner)

    def resolve_warning(self, command: ResolveWarning) -> Recorded:
        """Record that an open warning's breach was remedied, on evidence."""
        partner = self._current(command.partner_id, command.expected_version)
        partner.resolve_warning(
            command.warning_number, command.decision, evidence=command.evidence,
            today=self.today(),
        )  # fmt: skip
        return self._save(partner)

    def extend_deadline(self, command: ExtendWarningDeadline) -> Recorded:
        """Record a later deadline for an open warning."""
        partner = self._current(command.partner_id, command.expected_version)
        partner.extend_deadline(
            command.warning_number, command.decision, deadline=command.deadline,
            today=self.today(),
        )  # fmt: skip
        return self._save(partner)

    def suspend(self, command: SuspendPartner) -> Recorded:
        """Record the suspension of a partner's sales."""
        partner = self._current(command.partner_id, command.expected_version)
        partner.suspend(command.decision, today=self.today())
        return self._save(partner)

    def reinstate(self, command: ReinstatePartner) -> Recorded:
        """Record the end of a partner's suspension."""
        partner = self._current(command.partner_id, command.expected_version)
        partner.reinstate(command.decision, today=self.today())
        return self._save(partner)

    def withdraw(self, command: WithdrawPartner) -> Recorded:
        """Record that a platform left the programme of its own accord."""
        partner = self._current(command.partner_id, command.expected_version)
        partner.withdraw(command.decision, today=self.today())
        return self._save(partner)

    def terminate(self, command: TerminatePartner) -> Recorded:
        """Record the termination of a partnership."""
        partner = self._current(command.partner_id, command.expected_version)
        partner.terminate(command.decision, today=self.today())
        return self._save(partner)

    def lodge_objection(self, command: LodgeObjection) -> Recorded:
        """Record a platform's objection to a warning, suspension or termination."""
        partner = self._current(command.partner_id, command.expected_version)
        partner.lodge_objection(command.against_version, command.decision, today=self.today())
        return self._save(partner)

    def decide_objection(self, command: DecideObjection) -> Recorded:
        """Record the decision on an objection.

        Upholding an objection to a termination makes the partnership live
        again, so it takes its name and number back: refused if another live
        partnership of the platform holds them by now.
        """
        partner = self._current(command.partner_id, command.expected_version)
        terminated = partner.status is Status.TERMINATED
        partner.decide_objection(
            command.objection_number, command.decision, upheld=command.upheld, today=self.today()
        )
        restored = terminated and partner.status is not Status.TERMINATED
        claims = self._claims_for(partner) if restored else []
        return self._save(partner, *claims)

    def correct(self, command: CorrectEvent) -> Recorded:
        """Record a correction of an earlier event; a corrected name or number moves its claim."""
        partner = self._current(command.partner_id, command.expected_version)
        before = _identifiers(partner)
        history = [e for e in self.events.get(partner.id, lte=partner.version)
                   if isinstance(e, Partner.Event)]  # fmt: skip
        partner.correct(history, command.version, command.changes, actor=command.actor,
                        reason=command.reason)  # fmt: skip
        claims = self._claims_moved(partner, before) if not partner.status.ended else []
        return self._save(partner, *claims)

    def get(self, partner_id: UUID) -> PartnerDetails:
        """The partner as it stands now."""
        return details_of(self._partner(partner_id))

    def latest_version(self, partner_id: UUID) -> int | None:
        """The partner's version in the store (None: no such partner), read with one query."""
        stored = self.recorder.select_events(partner_id, desc=True, limit=1)
        if not stored or not stored[0].topic.startswith(Partner.TOPIC):
            return None
        return stored[0].originator_version

    def history(self, partner_id: UUID) -> list[PublicRecord]:
        """Every event of one partner, oldest first."""
        events = list(self.events.get(partner_id))
        if not events or not isinstance(events[0], Partner.Registered):
            raise _not_found(partner_id)
        return [record_of(e) for e in events if isinstance(e, Partner.Event)]

    def list_partners(self, status: Status | None = None) -> list[PartnerDetails]:
        """Every partnership ever registered, in order of registration."""
        partners = (self.get(partner_id) for partner_id in self._registered_ids())
        return [p for p in partners if status is None or p.status is status]

    def find_by_name(self, name: str) -> PartnerDetails | None:
        """The latest partnership of the platform with this name, in any spelling."""
        claim = self._claim(ClaimKind.NAME, name) or self._claim(ClaimKind.LOOKALIKE_NAME, name)
        if claim is None or claim.partner_id is None:
            return None
        return self.get(claim.partner_id)

    def claim_lookalike_names(self) -> int:
        """Give live partnerships registered before the look-alike rule their claim.

        Safe to run again; returns how many claims were added. Two live
        look-alikes recorded before the rule keep their partnerships (nothing
        is rewritten); the later one is logged.
        """
        added = 0
        for partner_id in self._registered_ids():
            partner = self._partner(partner_id)
            held = self._claim(ClaimKind.LOOKALIKE_NAME, partner.name)
            if partner.status.ended or held is not None:
                if held is not None and held.partner_id not in (partner.id, None):
                    log.warning("look-alike live partners", partner_id=str(partner.id),
                                held_by=str(held.partner_id))  # fmt: skip
                continue
            claim = PlatformClaim(
                kind=ClaimKind.LOOKALIKE_NAME.value, identifier=partner.name, partner_id=partner.id
            )
            self.save(claim)
            added += 1
        return added

    def _registered_ids(self) -> Iterator[UUID]:
        start: int | None = None
        while True:
            page = self.recorder.select_notifications(
                start, _PAGE, topics=[REGISTERED_TOPIC], inclusive_of_start=False
            )
            for notification in page:
                yield UUID(str(notification.originator_id))
            if len(page) < _PAGE:
                return
            start = page[-1].id

    def _claims_for(self, partner: Partner) -> list[PlatformClaim]:
        """Claim the partner's name and number, refusing any held by a live partner."""
        return [self._claim_for(kind, ident, partner.id) for kind, ident in _identifiers(partner)]

    def _claims_moved(
        self, partner: Partner, before: list[tuple[ClaimKind, str]]
    ) -> list[PlatformClaim]:
        """The claims an amendment takes and the ones it gives up."""
        old = {claim_id(kind, ident) for kind, ident in before}
        now = {claim_id(kind, ident): (kind, ident) for kind, ident in _identifiers(partner)}
        taken = [self._claim_for(k, i, partner.id) for c, (k, i) in now.items() if c not in old]
        released = []
        for kind, ident in before:
            claim = self._claim(kind, ident)
            if claim_id(kind, ident) not in now and claim and claim.partner_id == partner.id:
                claim.release()
                released.append(claim)
        return [*taken, *released]

    def _claim_for(self, kind: ClaimKind, identifier: str, partner_id: UUID) -> PlatformClaim:
        claim = self._claim(kind, identifier)
        if claim is None:
            return PlatformClaim(kind=kind.value, identifier=identifier, partner_id=partner_id)
        if claim.partner_id == partner_id:
            return claim
        if claim.partner_id is None:
            claim.transfer(partner_id)
            return claim
        holder = self._partner(claim.partner_id)
        if not holder.status.ended:
            raise DuplicatePartnerError(
                "%(name)s is already a partner (%(status)s, id %(id)s) with %(shared)s "
                "%(identifier)r; a platform can hold only one live partnership.",
                name=holder.name, status=Term(holder.status.value), id=holder.id,
                shared=Term(kind.described), identifier=identifier,
            )  # fmt: skip
        claim.transfer(partner_id)
        return claim

    def _claim(self, kind: ClaimKind, identifier: str) -> PlatformClaim | None:
        try:
            claim: Any = self.repository.get(claim_id(kind, identifier))
        except AggregateNotFoundError:
            return None
        return claim if isinstance(claim, PlatformClaim) else None

    def _partner(self, partner_id: UUID) -> Partner:
        try:
            partner: Any = self.repository.get(partner_id)
        except AggregateNotFoundError:
            raise _not_found(partner_id) from None
        if not isinstance(partner, Partner):
            raise _not_found(partner_id)
        return partner

    def _current(self, partner_id: UUID, expected_version: int | None) -> Partner:
        partner = self._partner(partner_id)
        if expected_version is not None and expected_version != partner.version:
            raise StaleVersionError(
                "%(name)s is at version %(version)s, not %(expected)s: it has changed since "
                "you read it. Review the latest events and decide again.",
                name=partner.name,
                version=partner.version,
                expected=expected_version,
            )
        return partner

    def _save(self, partner: Partner, *claims: PlatformClaim) -> Recorded:
        """Save the partner's new event (and any claims it moves); a collision is a conflict."""
        try:
            return self._saved(partner, *claims)
        except IntegrityError as error:
            raise _conflict(partner.name) from error

    def _saved(self, partner: Partner, *claims: PlatformClaim) -> Recorded:
        """Save; an insert refused only because its own first attempt landed is a success.

        The event-store library retries an insert whose connection was lost;
        when the commit had reached the server before the connection broke,
        the retry collides with the very events it carries. Those events are
        then in the store exactly as sent, and the write is answered as done.
        """
        pending = list(partner.pending_events)
        try:
            return self._recorded(partner, self.save(partner, *claims))
        except IntegrityError:
            event = pending[-1]
            if not isinstance(event, Partner.Event) or not self._landed(event):
                raise
        log.warning("write recognised as landed before its connection was lost",
                    partner_id=str(partner.id), version=partner.version)  # fmt: skip
        return Recorded(partner.id, partner.version, self._position_of(event), record_of(event))

    def _landed(self, event: Partner.Event) -> bool:
        version = event.originator_version
        stored = self.recorder.select_events(
            event.originator_id, gt=version - 1, lte=version, limit=1
        )
        return bool(stored) and self.mapper.to_domain_event(stored[0]) == event

    def _position_of(self, event: Partner.Event) -> int:
        """Where a just-landed event sits in the store, searched from the newest back."""
        stop = self.recorder.max_notification_id() or 0
        while stop > 0:
            start = max(stop - _PAGE, 0)
            page = self.recorder.select_notifications(
                start, _PAGE, stop=stop, inclusive_of_start=False
            )
            for notification in page:
                if (notification.originator_id, notification.originator_version) == (
                    event.originator_id, event.originator_version,
                ):  # fmt: skip
                    return notification.id
            stop = start
        msg = f"event {event.originator_id} v{event.originator_version} is not in the store"
        raise LookupError(msg)

    def _recorded(self, partner: Partner, recordings: Sequence[Recording[UUID]]) -> Recorded:
        position, event = next(
            (r.notification.id, r.domain_event)
            for r in reversed(recordings)
            if r.domain_event.originator_id == partner.id
        )
        if not isinstance(event, Partner.Event):
            msg = f"expected a partner event, recorded {type(event).__name__}"
            raise TypeError(msg)
        recorded = Recorded(partner.id, partner.version, position, record_of(event))
        log.info(
            "event recorded",
            partner_id=str(partner.id),
            event_type=recorded.event["type"],
            actor=recorded.event["actor"],
            version=recorded.version,
            position=recorded.position,
        )
        return recorded


def _identifiers(partner: Partner) -> list[tuple[ClaimKind, str]]:
    """What identifies the platform: its name, and its registration number if given."""
    found = [(ClaimKind.NAME, partner.name), (ClaimKind.LOOKALIKE_NAME, partner.name)]
    number = partner.platform["registration_number"]
    if number is not None:
        found.append((ClaimKind.REGISTRATION_NUMBER, number))
    return found


def _not_found(partner_id: UUID) -> PartnerNotFoundError:
    return PartnerNotFoundError("No partner has the id %(id)s.", id=partner_id)


def _conflict(name: str) -> ConcurrencyConflictError:
    return ConcurrencyConflictError(
        "%(name)s was changed by another command while this one was being recorded, so "
        "nothing was recorded. Reload the partner and try again.",
        name=name,
    )
