"""Scripted histories for tests that need many kinds of event in the store."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from registry.domain.commands import (
    AmendDetails,
    CorrectEvent,
    DecideObjection,
    EvaluatePartner,
    ExtendWarningDeadline,
    LodgeObjection,
    RegisterPartner,
    ReinstatePartner,
    ResolveWarning,
    SuspendPartner,
    TerminatePartner,
    WarnPartner,
    WithdrawPartner,
    WithdrawWarning,
)
from registry.domain.criteria import Criterion, Verdict
from registry.record.chain import GENESIS, chain_hash
from registry.record.messages import PublishedEvent
from registry.record.public_record import START, read_after
from registry.service.application import PartnerRegistry
from registry.service.records import PublicRecord
from tests.builders import NEXT_MONTH, decision, findings, obligation, platform


def scripted_history(registry: PartnerRegistry, partners: int = 5) -> list[UUID]:
    """Partners taken through every kind of event, their events interleaved.

    Returns the ids of the ``partners`` asked for and, last, of one more
    partner that withdrew from the programme.
    """
    ids = [
        registry.register(RegisterPartner(platform(), decision())).partner_id
        for _ in range(partners)
    ]
    for partner_id in ids:
        registry.evaluate(
            EvaluatePartner(
                partner_id, findings(technology=Verdict.FAIL), [obligation()], decision()
            )
        )
    for partner_id in ids[::2]:
        registry.warn(
            WarnPartner(partner_id, decision(), deadline=NEXT_MONTH, criterion=Criterion.TECHNOLOGY)
        )
    registry.extend_deadline(
        ExtendWarningDeadline(ids[0], 1, NEXT_MONTH + timedelta(days=14), decision())
    )
    registry.warn(WarnPartner(ids[0], decision(), deadline=NEXT_MONTH, obligation="Sales report"))
    registry.withdraw_warning(WithdrawWarning(ids[0], 2, decision(reason="Issued in error")))
    registry.warn(WarnPartner(ids[0], decision(), deadline=NEXT_MONTH, obligation="Sales report"))
    registry.resolve_warning(ResolveWarning(ids[0], 3, "Report filed", decision()))
    registry.evaluate(EvaluatePartner(ids[0], findings(), [], decision()))
    registry.suspend(SuspendPartner(ids[0], decision(reason="Investigating complaints")))
    registry.reinstate(ReinstatePartner(ids[0], decision(reason="Complaints unfounded")))
    registry.amend_details(
        AmendDetails(ids[0], {"website": "https://renamed.example"}, decision(reason="Moved"))
    )
    corrected = registry.correct(CorrectEvent(ids[1], 1, {"legal_name": "PT Typo"}, "officer.siti",
                                              "Legal name left out"))  # fmt: skip
    registry.correct(CorrectEvent(ids[1], corrected.version, {"legal_name": "PT Benar"},
                                  "officer.siti", "Misspelt in the correction"))  # fmt: skip
    terminated = registry.terminate(
        TerminatePartner(ids[-1], decision(reason="Breach not remedied"))
    )
    registry.lodge_objection(
        LodgeObjection(ids[-1], terminated.version, decision(reason="Remedied"))
    )
    registry.decide_objection(DecideObjection(ids[-1], 1, False, decision(reason="Not remedied")))
    leaving = registry.register(RegisterPartner(platform(), decision())).partner_id
    registry.withdraw(WithdrawPartner(leaving, decision(reason="Leaving the programme")))
    return [*ids, leaving]


def scripted_event_count(partners: int) -> int:
    """How many events ``scripted_history`` records for that many partners."""
    registered_and_evaluated, warned, first_partners_warnings = 2 * partners, (partners + 1) // 2, 5
    compliance_suspension_reinstatement_amendment, termination_objected_to = 4, 3
    correction_corrected = 2
    one_who_left = 2
    return (registered_and_evaluated + warned + first_partners_warnings
            + compliance_suspension_reinstatement_amendment + termination_objected_to
            + correction_corrected + one_who_left)  # fmt: skip


def more_events(registry: PartnerRegistry, count: int) -> None:
    """Register ``count`` more partners."""
    for _ in range(count):
        registry.register(RegisterPartner(platform(), decision()))


def stored_records(registry: PartnerRegistry) -> list[tuple[int, PublicRecord]]:
    """Every partner event in the store as (position, public record), in store order."""
    found: list[tuple[int, PublicRecord]] = []
    position = START
    while True:
        events, position = read_after(registry, position, 1000)
        if not events:
            return found
        found += [(e.position, e.record) for e in events]


def published_history(registry: PartnerRegistry, partners: int = 5) -> list[PublishedEvent]:
    """A scripted history as the relay would publish it: numbered and chained."""
    scripted_history(registry, partners)
    events, _ = read_after(registry, START, 100_000)
    return events


def chained(records: list[PublicRecord], position_step: int = 1) -> list[PublishedEvent]:
    """Records numbered 1, 2, 3, ... and chained as the relay would, without a store."""
    events, previous = [], GENESIS
    for sequence, record in enumerate(records, start=1):
        previous = chain_hash(previous, record)
        events.append(PublishedEvent(record, sequence * position_step, sequence, previous))
    return events
