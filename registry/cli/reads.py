"""Commands that read the register: show and list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from registry.cli.app import app, open_read_models, open_registry
from registry.cli.json_output import AsJson
from registry.cli.output import show_partner, show_partners, show_rows, show_standing
from registry.cli.parsing import resolve_partner
from registry.cli.point_options import AsOfOption, KnownAtOption, point_from
from registry.cli.writes import PartnerRef
from registry.domain.exceptions import PartnerNotFoundError
from registry.domain.partner import Status

if TYPE_CHECKING:
    pass


@app.command()
def show(
    ctx: typer.Context, partner: PartnerRef, as_of: AsOfOption = None,
    known_at: KnownAtOption = None, as_json: AsJson = False,
) -> None:  # fmt: skip
    """Show one partner and its whole history, or as it stood at a point in time."""
    point = point_from(ctx.obj, as_of, known_at)
    with open_registry(ctx) as registry:
        partner_id = resolve_partner(registry, partner)
        if point is None:
            show_partner(registry.get(partner_id), registry.history(partner_id), as_json)
            return
    with open_read_models(ctx) as store:
        standing = store.partner_at(str(partner_id), point)
    if standing is None:
        raise PartnerNotFoundError(f"{partner} was not registered {point.described()}.")
    show_standing(standing, point.described(), as_json)


@app.command("list")
def list_partners(
    ctx: typer.Context,
    status: Annotated[Status | None, typer.Option(help="Only partners with this status.")] = None,
    as_of: AsOfOption = None,
    known_at: KnownAtOption = None,
    as_json: AsJson = False,
) -> None:
    """List every partnership ever registered, now or at a point in time."""
    point = point_from(ctx.obj, as_of, known_at)
    if point is None:
        with open_registry(ctx) as registry:
            show_partners(registry.list_partners(status), as_json)
        return
    with open_read_models(ctx) as store:
        rows = [r for r in store.register_at(point) if status is None or r.status == status]
    show_rows(rows, f"The register {point.described()}", as_json)
