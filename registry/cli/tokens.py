"""``partner-registry token``: create, list and revoke API tokens."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from registry.adapters.tokens import Role, TokenStore
from registry.bootstrap import open_database
from registry.cli.app import app
from registry.cli.json_output import AsJson, emit_json
from registry.config import Settings

tokens = typer.Typer(help="API tokens: created once, stored only as hashes.", no_args_is_help=True)
app.add_typer(tokens, name="token")


@contextmanager
def token_store(ctx: typer.Context) -> Iterator[TokenStore]:
    """The token table in the event store's database."""
    settings: Settings = ctx.obj
    db = open_database(settings.database_url.get_secret_value(), settings)
    store = TokenStore(db)
    try:
        store.setup()
        yield store
    finally:
        db.close()


@tokens.command("create")
def create(
    ctx: typer.Context,
    actor: Annotated[str, typer.Option(metavar="NAME", help="Recorded as the actor of writes.")],
    role: Annotated[
        Role, typer.Option(help="officer: register, evaluate, warn; director: also terminate.")
    ],
    as_json: AsJson = False,
) -> None:
    """Create a token and print it, once."""
    with token_store(ctx) as store:
        info, secret = store.create(actor, role)
    if as_json:
        emit_json({"id": info.id, "actor": info.actor, "role": info.role.value, "token": secret})
        return
    typer.echo(f"Token {info.id} for {info.actor} ({info.role.value}). Shown once; store it now:")
    typer.echo(secret)


@tokens.command("revoke")
def revoke(ctx: typer.Context, token_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """End a token at once (by the id printed at creation or by `token list`)."""
    with token_store(ctx) as store:
        if not store.revoke(token_id):
            typer.echo(f"error: no live token has the id {token_id!r}.", err=True)
            raise typer.Exit(3)
    typer.echo(f"Token {token_id} revoked.")


@tokens.command("list")
def list_tokens(ctx: typer.Context, as_json: AsJson = False) -> None:
    """Every token: id, actor, role, created, revoked (never the token itself)."""
    with token_store(ctx) as store:
        found = store.list()
    if as_json:
        emit_json(
            [
                {"id": t.id, "actor": t.actor, "role": t.role.value,
                 "created_at": t.created_at, "revoked_at": t.revoked_at}
                for t in found
            ]
        )  # fmt: skip
        return
    for t in found:
        state = f"revoked {t.revoked_at}" if t.revoked_at else "live"
        typer.echo(f"{t.id}  {t.role.value:<8}  {t.actor}  created {t.created_at}  {state}")
