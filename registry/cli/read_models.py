"""Commands that run the read models: project, rebuild, the feeds, status, check-trail."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from consumers.messaging.broker import new_reader
from consumers.parts.resilience import keep_trying
from consumers.read_side.rebuild import TopicHistory, store_history, topic_history
from infra.topics import EVENTS, declared_topics
from projections.audit_trail import ChainHead
from projections.storage.store import ReadModelStore
from registry.adapters.feed_folder import FeedReader
from registry.api.feed_files import FEEDS
from registry.bootstrap import (
    build_feed_publisher,
    build_projection_runner,
    build_read_models,
    log_verifiers,
)
from registry.cli.app import app, open_read_models, open_registry
from registry.cli.json_output import AsJson, emit_json
from registry.cli.processes import long_running
from registry.config import ConfigurationError, Settings
from registry.service.application import PartnerRegistry


class Source(StrEnum):
    """Where a rebuild reads the history from."""

    AUTO = "auto"
    TOPIC = "topic"
    STORE = "store"


@app.command()
def project(
    ctx: typer.Context,
    metrics_port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Serve Prometheus metrics on this port.")
    ] = None,
) -> None:
    """Apply the events topic to the read models (in a consumer group) until stopped."""
    settings: Settings = ctx.obj
    with long_running(settings, "project") as (stop, health):
        store = keep_trying(stop, lambda: build_read_models(settings), "projection start-up")
        if store is None:
            return
        try:
            runner = keep_trying(
                stop, lambda: build_projection_runner(settings, store, health), "projection"
            )
            if runner is None:
                return
            if metrics_port is not None:
                runner.metrics.serve(metrics_port)
            runner.run(stop)
        finally:
            store.close()


@app.command()
def rebuild(
    ctx: typer.Context,
    source: Annotated[
        Source, typer.Option(help="auto: the topic if it holds records, else the store.")
    ] = Source.AUTO,
) -> None:
    """Rebuild the read models from the whole history, then swap them in at once."""
    with open_read_models(ctx) as store:
        history = None if source is Source.STORE else _topic_history(ctx.obj)
        if history is None and source is Source.TOPIC:
            raise typer.BadParameter("the events topic is missing or empty", param_hint="--source")
        if history is not None:
            with _progress("from the topic", total=None) as (progress, task):
                head = store.rebuild(
                    history.events(), history.offsets, lambda b: progress.advance(task, len(b))
                )
            _done(head.sequence, "the topic", skipped=history.skipped)
            return
        with open_registry(ctx) as registry:
            head = _rebuild_from_store(store, registry)
        _done(head.sequence, "the event store", skipped=0)


def _rebuild_from_store(store: ReadModelStore, registry: PartnerRegistry) -> ChainHead:
    """Progress is shown by store position, whose end is known."""
    last = registry.recorder.max_notification_id() or 0
    with _progress("from the store", total=last) as (progress, task):
        return store.rebuild(
            store_history(registry), {}, lambda b: progress.update(task, completed=b[-1].position)
        )


def _topic_history(settings: Settings) -> TopicHistory | None:
    settings.require_kafka()
    topic = declared_topics(settings.kafka_topic_prefix)[EVENTS].name
    verifiers = log_verifiers(settings)()
    if not verifiers:
        msg = "no key to verify the log's signed checkpoints with: set LOG_VKEYS (GET /log/vkey)"
        raise ConfigurationError(msg)
    return topic_history(new_reader(settings), topic, verifiers)


@contextmanager
def _progress(what: str, total: int | None) -> Iterator[tuple[Progress, TaskID]]:
    """A progress bar on stderr (a count and elapsed time when the total is unknown)."""
    with Progress(
        TextColumn(f"Rebuilding {what}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True),
    ) as progress:  # fmt: skip
        yield progress, progress.add_task("rebuild", total=total)


def _done(sequence: int, source: str, *, skipped: int) -> None:
    note = f"; {skipped} unreadable records skipped" if skipped else ""
    typer.echo(
        f"Rebuilt from {source}: the audit trail is verified up to sequence {sequence}{note}."
    )


@app.command("publish-feed")
def publish_feed(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Publish now, then exit.")] = False,
) -> None:
    """Write the current-partners feeds (JSON, CSV, Atom) whenever the register changes."""
    settings: Settings = ctx.obj
    if once:
        with open_read_models(ctx) as store:
            written = build_feed_publisher(settings, store).publish()
        typer.echo(f"Published {len(written)} changed feeds to {settings.feed_dir}.")
        return
    with long_running(settings, "publish-feed") as (stop, health):
        opened = keep_trying(stop, lambda: build_read_models(settings), "feed publisher start-up")
        if opened is None:
            return
        try:
            build_feed_publisher(settings, opened, health).run(stop)
        finally:
            opened.close()


@app.command("show-feed")
def show_feed(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help=f"One of: {', '.join(FEEDS)}.")] = (
        "current-partners.json"
    ),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write it to this file, not stdout.")
    ] = None,
) -> None:
    """Write a feed as last published, byte for byte what the API serves.

    The feed folder holds manifests and parts, not whole files; this joins
    them, checking every part against the digest it is named by.
    """
    settings: Settings = ctx.obj
    if name not in FEEDS:
        raise typer.BadParameter(
            f"no feed {name!r}; there are {', '.join(FEEDS)}", param_hint="NAME"
        )
    version = FeedReader(Path(settings.feed_dir)).read(name)
    if version is None:
        typer.echo(f"{name} has not been published in {settings.feed_dir} yet.", err=True)
        raise typer.Exit(3)
    if output is None:
        sys.stdout.buffer.writelines(version.parts)
        sys.stdout.buffer.flush()
        return
    body = version.body
    output.write_bytes(body)
    typer.echo(f"Wrote {name} ({len(body):,} bytes) to {output}.", err=True)


@app.command("projection-status")
def projection_status(ctx: typer.Context, as_json: AsJson = False) -> None:
    """How far the read models have got: offsets, lag per partition, chain head."""
    with open_read_models(ctx) as store:
        head = store.chain_head()
        partitions = store.consumer_status()
    status = {
        "chain_head": {"sequence": head.sequence, "chain_hash": head.chain_hash},
        "partitions": [
            {"topic": p.topic, "partition": p.partition, "next_offset": p.next_offset,
             "end_offset": p.end_offset, "lag": p.lag, "updated_at": p.updated_at}
            for p in partitions
        ],
    }  # fmt: skip
    if as_json:
        emit_json(status)
        return
    typer.echo(f"Audit trail verified up to sequence {head.sequence}.")
    for p in partitions:
        lag = "unknown" if p.lag is None else str(p.lag)
        typer.echo(f"  {p.topic}[{p.partition}]: next offset {p.next_offset}, lag {lag}")


@app.command("check-trail")
def check_trail(ctx: typer.Context) -> None:
    """Recompute the stored audit trail's hash chain from the first entry."""
    with open_read_models(ctx) as store:
        head = store.verify()
    typer.echo(f"The audit trail is intact: {head.sequence} entries, chain hash {head.chain_hash}.")
