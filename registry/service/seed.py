"""The register as it stood on 27 April 2020, from the public report of that day.

Only what the report states is recorded: the eight platform names and the
rule that partners must be private companies, BUMN or BUMD, which the
Ministry of Manpower's own site (a government body) is recorded as exempt
from. Nothing else is invented: no registration numbers, no evaluations, no
warnings. The legal forms of the other seven follow from the report's
statement that partners must hold one of the three; Pijar Mahir is run by
PT Telkom Indonesia, a BUMN. The partnerships began on or before the date of
the report, so that date is the effective date recorded.

The rules are seeded the same way: the report states the four criteria but
names no regulation and no article, so the first rule set names its source
and cites nothing; an officer records the citations once they are known, as
a new rule set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from registry.domain.commands import RecordRuleSet, RegisterPartner
from registry.domain.criteria import Criterion, LegalForm
from registry.domain.decisions import Decision
from registry.domain.exceptions import DuplicatePartnerError
from registry.domain.platforms import declaration
from registry.domain.rules import RuleSet
from registry.service.application import PartnerRegistry

SEED_ACTOR = "system:seed (Kompas.com report of 27 April 2020)"
REPORT_DATE = date(2020, 4, 27)
SEED_REASON = (
    "Listed among the eight partner platforms by the PMO's Director of "
    "Communications on 27 April 2020 (Kompas.com, 'Pemerintah Bisa Hentikan "
    "Kerja Sama dengan Platform Digital Kartu Pra Kerja'). The partnership's "
    "start date is not stated in the report; the report date is recorded."
)
COMMISSION = (
    "May take a commission from the training providers selling through it "
    "(Kompas.com, 27 April 2020); the rate is not stated in the report."
)
MINISTRY_EXEMPTION = (
    "Operated by the Ministry of Manpower (Kemnaker), a government body, yet "
    "listed by the PMO as a partner platform on 27 April 2020; recorded as an "
    "exemption from the legal-entity criterion rather than as a company."
)

SEED_RULES = RuleSet(
    identifier="pmo-statement-2020-04-27",
    title="Partner platform criteria as stated by the PMO on 27 April 2020",
    in_force_from=REPORT_DATE,
    citations=dict.fromkeys(Criterion),
)
RULES_REASON = (
    "The four criteria as the PMO's Director of Communications stated them on 27 April "
    "2020 (Kompas.com). The report names no regulation and no article, so no citation is "
    "recorded; they were in force by the report date, which is recorded as their first day."
)

SEED_PLATFORMS: tuple[tuple[str, LegalForm], ...] = (
    ("Tokopedia", LegalForm.PRIVATE_COMPANY),
    ("Ruangguru", LegalForm.PRIVATE_COMPANY),
    ("Mau Belajar Apa", LegalForm.PRIVATE_COMPANY),
    ("Bukalapak", LegalForm.PRIVATE_COMPANY),
    ("Pintaria", LegalForm.PRIVATE_COMPANY),
    ("Sekolahmu", LegalForm.PRIVATE_COMPANY),
    ("Pijar Mahir", LegalForm.STATE_OWNED_ENTERPRISE),
    ("Kemnaker.go.id", LegalForm.GOVERNMENT_BODY),
)


@dataclass
class SeedReport:
    """Which seed platforms were recorded now and which were already there."""

    registered: list[str] = field(default_factory=list)
    already_present: list[str] = field(default_factory=list)
    rules_recorded: bool = False


def seed_commands() -> list[RegisterPartner]:
    """One registration per platform of the 27 April 2020 report."""
    decision = Decision(actor=SEED_ACTOR, reason=SEED_REASON, effective_date=REPORT_DATE)
    return [
        RegisterPartner(
            platform=declaration(
                name=name,
                legal_form=form,
                national_coverage=True,
                technology_ready=True,
                open_marketplace=True,
                commission_terms=COMMISSION,
                exemption_basis=None if form.is_allowed else MINISTRY_EXEMPTION,
            ),
            decision=decision,
        )
        for name, form in SEED_PLATFORMS
    ]


def seed(registry: PartnerRegistry) -> SeedReport:
    """Record the first rules and each seed platform not yet recorded; safe to run again."""
    report = SeedReport()
    if SEED_RULES.identifier not in registry.rule_book().rule_sets:
        decision = Decision(actor=SEED_ACTOR, reason=RULES_REASON, effective_date=REPORT_DATE)
        registry.record_rule_set(RecordRuleSet(SEED_RULES, decision))
        report.rules_recorded = True
    for command in seed_commands():
        name = command.platform["name"]
        if registry.find_by_name(name) is not None:
            report.already_present.append(name)
            continue
        try:
            registry.register(command)
        except DuplicatePartnerError:
            report.already_present.append(name)
        else:
            report.registered.append(name)
    registry.claim_lookalike_names()
    return report
