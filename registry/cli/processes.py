"""Long-running processes (relay, HTTP server, the whole local stack) and their health."""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
import uvicorn

from consumers.parts import heap
from consumers.parts.health import PartHealth, instances
from consumers.parts.resilience import keep_trying
from infra.local.stack import LocalStack
from registry.bootstrap import (
    build_health,
    build_registry,
    build_relay,
    build_witness_collector,
    open_database,
)
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


@contextmanager
def long_running(settings: Settings, part: str) -> Iterator[tuple[threading.Event, PartHealth]]:
    """The stop signal and health beats of a part that runs until stopped.

    The start is counted once the read-model database answers (waited for,
    as every transient fault is).
    """
    stop = stop_on_signals()
    health = build_health(settings, part)
    try:
        keep_trying(stop, health.started, f"{part} start-up")
        heap.settle()
        yield stop, health
    finally:
        health.close()


@app.command()
def relay(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="Publish what is pending, then exit.")
    ] = False,
) -> None:
    """Publish every stored event to Kafka in order; runs until stopped."""
    settings: Settings = ctx.obj
    if once:
        with open_registry(ctx) as registry:
            publisher = build_relay(settings, registry)
            try:
                count = publisher.drain()
            finally:
                publisher.close()
        typer.echo(f"Published {count} events.")
        return
    with long_running(settings, "relay") as (stop, health), collecting(settings, stop):
        store = keep_trying(stop, lambda: build_registry(settings), "relay start-up")
        if store is None:
            return
        try:
            leader = keep_trying(stop, lambda: build_relay(settings, store, health), "relay")
            if leader is not None:
                leader.run(stop)
        finally:
            store.close()


@contextmanager
def collecting(settings: Settings, stop: threading.Event) -> Iterator[None]:
    """The witnesses' cosignatures gathered in a thread beside the relay, if any are set."""
    collector = keep_trying(stop, lambda: build_witness_collector(settings), "witness start-up")
    if collector is None:
        yield
        return
    thread = threading.Thread(
        target=collector.run, args=(stop, settings.witness_interval_seconds),
        name="cosignatures", daemon=True,
    )  # fmt: skip
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=15)
        collector.close()


class PartName(StrEnum):
    """The long-running parts that report their health."""

    RELAY = "relay"
    PROJECT = "project"
    PUBLISH_FEED = "publish-feed"


@app.command()
def alive(ctx: typer.Context, part: PartName) -> None:
    """Exit 0 if PART on this host reported within PART_SILENCE_SECONDS (a health check)."""
    settings: Settings = ctx.obj
    db = open_database(settings.read_models_url, settings)
    try:
        states = instances(db).get(part.value, [])
    finally:
        db.close()
    here = f"{socket.gethostname()}:"
    ours = [s for s in states if s.instance.startswith(here)]
    silent = min((time.time() - s.beat_at for s in ours), default=None)
    if silent is None or silent > settings.part_silence_seconds:
        since = "never" if silent is None else f"{silent:.0f} s ago"
        typer.echo(f"{part.value} on {here[:-1]} last reported {since}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{part.value} on {here[:-1]}: {ours[0].state}")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes (each with its own pools).")
    ] = 1,
) -> None:
    """Run the HTTP API and the public page (uvicorn)."""
    from registry.api.app import create_app  # noqa: PLC0415 - FastAPI loads only for the server

    target = "registry.api.app:app_from_environment" if workers > 1 else create_app(ctx.obj)
    heap.settle()
    uvicorn.run(
        target, factory=workers > 1, workers=workers, host=host, port=port, log_config=None,
        access_log=False, server_header=False,
    )  # fmt: skip


@app.command()
def up(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address of the HTTP server.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    log_dir: Annotated[Path, typer.Option(help="Where each part writes its log.")] = Path(
        "var/log"
    ),
) -> None:
    """Run everything on this machine (with a local broker unless one is set); Ctrl-C stops."""
    settings: Settings = ctx.obj
    stack = LocalStack(host, port, log_dir, settings.kafka_bootstrap_servers)
    stop = stop_on_signals()
    try:
        stack.start()
        typer.echo(_banner(stack, settings))
        stack.supervise(stop)
    finally:
        stack.stop()
    typer.echo("Stopped.")


def _banner(stack: LocalStack, settings: Settings) -> str:
    return "\n".join(
        [
            f"Partner registry running at {stack.url}",
            f"  register page   {stack.url}/",
            f"  API docs        {stack.url}/docs",
            f"  feeds           {stack.url}/feeds/current-partners.json (.csv, changes.atom)",
            f"  event store     {settings.redacted_database_url()}",
            f"  Kafka           {stack.kafka}",
            f"  logs            {stack.log_dir}/*.log",
            "Write with a token: partner-registry token create --actor NAME --role officer",
            "Ctrl-C stops everything.",
        ]
    )
