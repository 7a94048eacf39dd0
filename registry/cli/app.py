"""The Typer application, its start-up and the registry each command opens."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

from registry.config import Settings
from registry.logs import configure_logging

if TYPE_CHECKING:
    from projections.storage.store import ReadModelStore
    from registry.service.application import PartnerRegistry

app = typer.Typer(
    name="partner-registry",
    help="The register of the Kartu Prakerja programme's partner platforms.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def startup(ctx: typer.Context) -> None:
    """Read and validate the settings, then set up logging, before any command."""
    settings = Settings(_secrets_dir=os.environ.get("REGISTRY_SECRETS_DIR"))  # type: ignore[call-arg]
    configure_logging(settings.log_format, settings.log_level)
    ctx.obj = settings


@contextmanager
def open_registry(ctx: typer.Context) -> Iterator[PartnerRegistry]:
    """The configured registry, closed (connections released) when the command ends."""
    from registry.bootstrap import build_registry  # noqa: PLC0415 - the whole stack, for the commands that use it

    settings: Settings = ctx.obj
    registry = build_registry(settings)
    try:
        yield registry
    finally:
        registry.close()


@contextmanager
def open_read_models(ctx: typer.Context) -> Iterator[ReadModelStore]:
    """The configured read-model store, closed when the command ends."""
    from registry.bootstrap import build_read_models  # noqa: PLC0415 - as open_registry

    store = build_read_models(ctx.obj)
    try:
        yield store
    finally:
        store.close()
