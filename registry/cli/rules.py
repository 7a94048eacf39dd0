"""``partner-registry rules``: the rule book, listed and added to."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from registry.cli.app import app, open_registry
from registry.cli.json_output import AsJson, emit_json
from registry.domain.commands import RecordRuleSet
from registry.domain.criteria import Criterion
from registry.domain.decisions import Decision
from registry.domain.rules import RuleSet

rules = typer.Typer(help="The rule book: each version of the partner criteria.",
                    no_args_is_help=True)  # fmt: skip
app.add_typer(rules, name="rules")


@rules.command("list")
def list_rules(ctx: typer.Context, as_json: AsJson = False) -> None:
    """Every rule set, by the day it came into force, with each criterion's citation."""
    with open_registry(ctx) as registry:
        book = registry.rule_book()
    ordered = sorted(book.rule_sets.values(), key=lambda r: r["in_force_from"])
    if as_json:
        emit_json([_plain(r) for r in ordered])
        return
    for rule_set in ordered:
        typer.echo(f"{rule_set['identifier']}  in force from "
                   f"{rule_set['in_force_from'].isoformat()}  {rule_set['title']}")  # fmt: skip
        for criterion, citation in rule_set["citations"].items():
            typer.echo(f"  {criterion}: {citation or '(no citation recorded)'}")


@rules.command("record")
def record(
    ctx: typer.Context,
    identifier: Annotated[str, typer.Option("--id", metavar="ID", help="The rule set's name.")],
    title: Annotated[str, typer.Option(metavar="TEXT", help="Its title.")],
    in_force_from: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], metavar="YYYY-MM-DD",
                                                    help="Its first day in force.")],
    citation: Annotated[list[str], typer.Option(
        metavar="CRITERION=TEXT",
        help="What a criterion cites (repeat for all four; CRITERION= for none known).")],
    actor: Annotated[str, typer.Option(envvar="REGISTRY_ACTOR", metavar="NAME",
                                       help="Who records it (a director).")],
    reason: Annotated[str, typer.Option(metavar="TEXT", help="Why (recorded).")],
    as_json: AsJson = False,
) -> None:  # fmt: skip
    """Record a new version of the rules; evaluations from its first day cite it."""
    citations = _citations(citation)
    with open_registry(ctx) as registry:
        rules_given = RuleSet(identifier, title, in_force_from.date(), citations)
        decision = Decision(actor=actor, reason=reason, effective_date=registry.today())
        version = registry.record_rule_set(RecordRuleSet(rules_given, decision))
        recorded = registry.rule_book().rule_sets[identifier.strip()]
    if as_json:
        emit_json(_plain(recorded) | {"rule_book_version": version})
        return
    typer.echo(f"Rule set {recorded['identifier']} recorded (rule book version {version}).")


def _citations(specs: list[str]) -> dict[Criterion, str | None]:
    found: dict[Criterion, str | None] = {}
    for spec in specs:
        name, sign, text = spec.partition("=")
        try:
            criterion = Criterion(name.strip())
        except ValueError:
            names = ", ".join(c.value for c in Criterion)
            raise typer.BadParameter(f"{name!r} is not a criterion ({names}).",
                                     param_hint="--citation") from None  # fmt: skip
        if not sign or criterion in found:
            raise typer.BadParameter(f"give {criterion.value} once, as {criterion.value}=TEXT",
                                     param_hint="--citation")  # fmt: skip
        found[criterion] = text.strip() or None
    return found


def _plain(rule_set: dict[str, Any]) -> dict[str, Any]:
    return rule_set | {"in_force_from": rule_set["in_force_from"].isoformat()}
