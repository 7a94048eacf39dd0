"""The rule book: every version of the partner criteria, with what each criterion cites.

Read by anyone (an evaluation names the rule set it applied; this is where
a reader finds that set); recorded by directors only.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from registry.api.deps import RuleRecorder, ServicesDep, json_body
from registry.api.routes_writes import WRITE_ERRORS
from registry.api.schemas import RuleSetIn, RuleSetOut
from registry.domain.commands import RecordRuleSet
from registry.domain.decisions import Decision
from registry.domain.rules import RuleSet

router = APIRouter(prefix="/rule-sets", tags=["rule book"])


@router.get("")
def rule_sets(services: ServicesDep) -> list[RuleSetOut]:
    """Every rule set recorded, by the day it came into force."""
    book = services.registry.rule_book()
    ordered = sorted(book.rule_sets.values(), key=lambda r: r["in_force_from"])
    return [_out(r) for r in ordered]


@router.post("", status_code=201, responses=WRITE_ERRORS, dependencies=[Depends(json_body)])
def record_rule_set(
    body: RuleSetIn, actor: RuleRecorder, services: ServicesDep, response: Response
) -> RuleSetOut:
    """Record a new version of the rules (directors); evaluations from its first day cite it."""
    rules = RuleSet(body.identifier, body.title, body.in_force_from, dict(body.citations))
    effective = body.effective_date or services.registry.today()
    decision = Decision(actor=actor.name, reason=body.reason, effective_date=effective)
    services.registry.record_rule_set(RecordRuleSet(rules, decision))
    response.headers["Location"] = "/rule-sets"
    return _out(services.registry.rule_book().rule_sets[rules.identifier.strip()])


def _out(rule_set: dict[str, Any]) -> RuleSetOut:
    return RuleSetOut.model_validate(rule_set)
