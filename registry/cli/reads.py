"""Commands that read the register: show and list."""

from __future__ import annotations

from typing import Annotated

import typer

from registry.cli.app import app, open_registry
from registry.cli.json_output import AsJson
from registry.cli.output import show_partner, show_partners
from registry.cli.parsing import resolve_partner
from registry.cli.writes import PartnerRef
from registry.domain.partner import Status


@app.command()
def show(ctx: typer.Context, partner: PartnerRef, as_json: AsJson = False) -> None:
    """Show one partner and its whole history."""
    with open_registry(ctx) as registry:
        partner_id = resolve_partner(registry, partner)
        show_partner(registry.get(partner_id), registry.history(partner_id), as_json)


@app.command("list")
def list_partners(
    ctx: typer.Context,
    status: Annotated[Status | None, typer.Option(help="Only partners with this status.")] = None,
    as_json: AsJson = False,
) -> None:
    """List every partnership ever registered."""
    with open_registry(ctx) as registry:
        show_partners(registry.list_partners(status), as_json)
