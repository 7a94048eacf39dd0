"""Long-running processes: the relay (and, later, the other services)."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from registry.bootstrap import build_relay
from registry.cli.app import app, open_registry
from registry.config import Settings


def stop_on_signals() -> threading.Event:
    """An event set by SIGINT or SIGTERM, so a process can finish its batch and exit."""
    stop = threading.Event()

    def handle(signum: int, _: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    return stop


@app.command()
def relay(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="Publish what is pending, then exit.")
    ] = False,
) -> None:
    """Publish every stored event to Kafka in order; runs until stopped."""
    settings: Settings = ctx.obj
    with open_registry(ctx) as registry:
        publisher = build_relay(settings, registry)
        if once:
            try:
                count = publisher.drain()
            finally:
                publisher.close()
            typer.echo(f"Published {count} events.")
            return
        publisher.run(stop_on_signals())
