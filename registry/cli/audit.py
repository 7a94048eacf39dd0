"""``partner-registry audit``: replay, verify and export the public record; ``checkpoint``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.progress import MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from consumers.audit.export import export as export_trail
from consumers.audit.read_ahead import merged_events_ahead
from consumers.audit.reader import Unreadable, merged_events, read_checkpoints
from consumers.audit.sources import (
    Entry,
    from_events,
    from_http,
    from_topic,
    http_announcements,
    http_checkpoints,
)
from consumers.audit.tiles_reader import HttpLog
from consumers.audit.verify import STORE
from consumers.audit.verify import verify as verify_sources
from consumers.messaging.broker import new_reader
from consumers.parts import heap
from consumers.read_side.rebuild import store_history
from infra.topics import CHECKPOINTS, EVENTS, declared_topics
from projections.audit_replay import Replay, ReplayReport
from projections.point_in_time import PointInTime
from projections.storage.queries import ReadModelQueries
from registry.adapters.checkpoint_store import CheckpointStore
from registry.bootstrap import build_read_models, open_database, open_signer
from registry.cli.app import app, open_registry
from registry.cli.audit_output import show_replay, show_verify
from registry.cli.json_output import AsJson, emit_json
from registry.cli.pinned_keys import PublicKeyOption, cosigners_of, log_verifiers_of, public_key_of
from registry.cli.point_options import AsOfOption, KnownAtOption, point_from
from registry.config import Settings, sqlite_path
from registry.record.chain import GENESIS
from registry.record.cosignature import Cosigner
from registry.record.keyring import Keyring
from registry.record.log_verification import signed_head
from registry.record.messages import MalformedMessageError, decode_leaf
from registry.record.note import NoteError, Verifier
from registry.record.public_record import RecordPosition
from registry.record.tiles import TILE_WIDTH
from registry.record.tree_head import TreeHead, TreeHeadError

audit = typer.Typer(
    help="Check the public record as an outside auditor would.", no_args_is_help=True
)
app.add_typer(audit, name="audit")


@audit.command()
def replay(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    known_at: KnownAtOption = None,
    public_key: PublicKeyOption = None,
    log_vkey: Annotated[
        list[str] | None,
        typer.Option(help="The log's verifier key (GET /log/vkey, the README); repeatable."),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            help="Read the log from this registry's tiles over HTTP (base URL) instead of Kafka."
        ),
    ] = None,
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option(help="A signed checkpoint file the record must agree with; repeatable."),
    ] = None,
    witness: Annotated[
        list[str] | None,
        typer.Option(help="A witness's verifier key (type 0x04) to require; repeatable."),
    ] = None,
    quorum: Annotated[
        int | None,
        typer.Option(min=1, help="How many of the --witness keys must cosign [default: all]."),
    ] = None,
    allow_resent: Annotated[
        bool,
        typer.Option(help="Accept identical re-sent copies (the relay re-sends after a crash)."),
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Check the whole public record from the first record, and rebuild the register.

    Needs no database: the events topic (KAFKA_BOOTSTRAP_SERVERS) or the
    registry's base URL (--url), and the log's key. Exits 0 when the record
    is whole, 6 naming the first bad sequence otherwise.
    """
    settings: Settings = ctx.obj
    verifiers = log_verifiers_of(settings, public_key, log_vkey or [])
    cosigners = cosigners_of(witness or [])
    policy = _Policy(
        verifiers, cosigners, len(cosigners) if quorum is None else quorum, bool(log_vkey)
    )
    if policy.quorum > len(cosigners):
        raise typer.BadParameter(
            f"only {len(cosigners)} witness key(s) given", param_hint="--quorum"
        )
    notes = [(f"checkpoint file {path}", path.read_text()) for path in checkpoint or []]
    point = point_from(settings, as_of, known_at)
    if url is not None:
        report = _replay_tiles(url, notes, policy, point)
    else:
        report = _replay_topic(settings, notes, policy, public_key, point, allow_resent)
    show_replay(report, as_json)
    if not report.whole:
        raise typer.Exit(6)


@dataclass(frozen=True)
class _Policy:
    """What an auditor pinned: the log's keys, the witnesses' keys, and how many must cosign."""

    verifiers: list[Verifier]
    cosigners: list[Cosigner]
    quorum: int
    pinned_vkeys: bool

    def take(self, run: Replay, notes: list[tuple[str, str]]) -> dict[str, TreeHead]:
        """Give the replay every checkpoint the auditor holds; the signed heads, by source.

        The witnesses' quorum is required of the newest (by size) of them: an
        older checkpoint may predate a witness, and the newest one covers it.
        """
        heads: list[tuple[TreeHead, str, str]] = []
        for where, text in notes:
            try:
                head, problems = signed_head(text, self.verifiers, [], 0)
            except (NoteError, TreeHeadError) as error:
                run.problem("unreadable", None, f"{where} is not a checkpoint ({error})")
                continue
            for kind, detail in problems:
                run.problem(kind, head.size, f"{where}: {detail}")
            if not problems:
                run.signed_tree(head, where)
                heads.append((head, where, text))
        self._require_witnesses(run, max(heads, key=lambda h: h[0].size, default=None))
        return {where: head for head, where, _ in heads}

    def _require_witnesses(self, run: Replay, newest: tuple[TreeHead, str, str] | None) -> None:
        if not self.cosigners:
            return
        if newest is None:
            run.problem("unwitnessed", None, "no signed checkpoint to find cosignatures on")
            return
        head, where, text = newest
        _, problems = signed_head(text, self.verifiers, self.cosigners, self.quorum)
        for kind, detail in problems:
            run.problem(kind, head.size, f"{where}: {detail}")


def _replay_topic(
    settings: Settings, notes: list[tuple[str, str]], policy: _Policy,
    public_key: Path | None, point: PointInTime | None, allow_resent: bool,
) -> ReplayReport:  # fmt: skip
    settings.require_kafka()
    topics = declared_topics(settings.kafka_topic_prefix)
    reader = partial(new_reader, settings)
    signed = read_checkpoints(reader, topics[CHECKPOINTS].name)
    pinned = public_key_of(settings, public_key)
    keyring = None if pinned is None else Keyring(pinned, signed.announcements)
    run = Replay(
        signed.checkpoints, keyring, point, allow_resent=allow_resent,
        log_verifiers=policy.verifiers if keyring is None or policy.pinned_vkeys
        else keyring.log_verifiers(settings.log_origin),
    )  # fmt: skip
    policy.take(run, [*notes, *signed.witnessed])
    for unreadable in signed.unreadable:
        run.unreadable(unreadable.where, unreadable.reason)
    heap.settle()
    with _spinner("Replaying the events topic") as advance:
        for located in merged_events_ahead(settings, topics[EVENTS].name):
            if isinstance(located.item, Unreadable):
                run.unreadable(located.where, located.item.reason)
            else:
                run.event(located.item, located.where)
            advance()
    return run.finish()


def _replay_tiles(
    url: str, notes: list[tuple[str, str]], policy: _Policy, point: PointInTime | None
) -> ReplayReport:
    run = Replay([], None, point)
    with httpx.Client(base_url=url, timeout=30) as client:
        log = HttpLog(client)
        served = f"{url}/log/checkpoint"
        heads = policy.take(run, [(served, log.checkpoint()), *notes])
        size = heads[served].size if served in heads else 0
        chain = GENESIS
        heap.settle()
        with _spinner(f"Replaying {size} records from {url}") as advance:
            for index, leaf in enumerate(log.leaves(size)):
                where = f"leaf {index}"
                try:
                    event = decode_leaf(leaf, index + 1, chain)
                except MalformedMessageError as error:
                    run.unreadable(where, str(error))
                    continue
                chain = event.chain_hash
                run.event(event, where)
                if index % TILE_WIDTH == TILE_WIDTH - 1:
                    advance(TILE_WIDTH)
    return run.finish()


@audit.command()
def verify(
    ctx: typer.Context,
    url: Annotated[
        str, typer.Option(help="The registry's public address, e.g. https://register.example")
    ],
    public_key: PublicKeyOption = None,
    as_json: AsJson = False,
) -> None:
    """Cross-check the event store, the events topic and the audit trail published over HTTP.

    The operator's check: it reads the event store (DATABASE_URL must reach
    it). An outside auditor, with only the topic and the published key, uses
    ``audit replay``.
    """
    settings: Settings = ctx.obj
    settings.require_kafka()
    _require_store(settings)
    topics = declared_topics(settings.kafka_topic_prefix)
    problems: list[str] = []
    with open_registry(ctx) as registry, httpx.Client(base_url=url, timeout=30) as client:
        sources: dict[str, Iterator[Entry]] = {
            STORE: from_events(store_history(registry)),
            "events topic": from_topic(
                merged_events(partial(new_reader, settings), topics[EVENTS].name), problems
            ),
            "published audit trail": from_http(client),
        }
        key = public_key_of(settings, public_key)
        if key is None:
            raise typer.BadParameter("no public key: pass --public-key", param_hint="--public-key")
        keyring = Keyring(key, http_announcements(client))
        report = verify_sources(sources, http_checkpoints(client), keyring)
    for problem in problems:
        report.disagree(problem)
    show_verify(report, as_json)
    if not report.agrees:
        raise typer.Exit(6)


@audit.command("export")
def export_command(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option(help="Folder for audit-trail.jsonl, .csv and checkpoints.jsonl.")
    ],
    url: Annotated[
        str | None,
        typer.Option(
            help="Export what this registry publishes over HTTP instead of the local read models."
        ),
    ] = None,
) -> None:
    """Write the full audit trail, with chain hashes, as JSON Lines and CSV."""
    settings: Settings = ctx.obj
    with _spinner("Exporting the audit trail") as advance:
        if url is not None:
            with httpx.Client(base_url=url, timeout=30) as client:
                count = export_trail(from_http(client), http_checkpoints(client), out, advance)
        else:
            count = _export_local(settings, out, advance)
    typer.echo(f"Exported {count} audit-trail entries to {out}.")


@app.command()
def checkpoint(ctx: typer.Context, as_json: AsJson = False) -> None:
    """Sign the published record's head now, and publish the checkpoint."""
    settings: Settings = ctx.obj
    settings.require_kafka()
    head = _published_head(settings)
    with open_signer(settings) as (signer, send):
        signed = signer.sign(head, send)
    if as_json:
        emit_json(signed.to_json())
        return
    typer.echo(
        f"Signed checkpoint at sequence {signed.sequence}: {signed.chain_hash} "
        f"(key {signed.key_id})."
    )


def _export_local(settings: Settings, out: Path, advance: Callable[[], None]) -> int:
    store = build_read_models(settings)
    checkpoints = CheckpointStore(open_database(settings.database_url.get_secret_value(), settings))
    try:
        checkpoints.setup()
        return export_trail(_local_entries(store), checkpoints.checkpoints(), out, advance)
    finally:
        store.close()
        checkpoints.close()


def _local_entries(store: ReadModelQueries) -> Iterator[Entry]:
    """The verified trail of the local read models, page by page."""
    after = 0
    while page := store.verified_entries(after, 1000):
        for entry in page:
            yield Entry(entry.sequence, entry.position, entry.chain_hash, entry.body.encode())
        after = page[-1].sequence


def _published_head(settings: Settings) -> RecordPosition:
    db = open_database(settings.database_url.get_secret_value(), settings)
    events = declared_topics(settings.kafka_topic_prefix)[EVENTS].name
    try:
        with db.transaction() as tx:
            rows = tx.execute(
                "SELECT notification_id, sequence, chain_hash FROM relay_position WHERE name = ?",
                (events,),
            )
    finally:
        db.close()
    if not rows or int(rows[0][1]) == 0:
        raise typer.BadParameter("nothing has been published yet: run the relay first")
    return RecordPosition(int(rows[0][0]), int(rows[0][1]), str(rows[0][2]))


def _require_store(settings: Settings) -> None:
    """Refuse to start on an event store that is not there (never create one)."""
    url = settings.database_url.get_secret_value()
    if not settings.uses_postgres and not Path(sqlite_path(url)).exists():
        raise typer.BadParameter(
            f"no event store at {sqlite_path(url)}: audit verify compares the event store "
            "with the topic and the published trail, so set DATABASE_URL to the store; "
            "to check the record from outside, use `audit replay`",
            param_hint="DATABASE_URL",
        )


# Records counted before the display hears of them: telling rich of every
# record took 20 µs each (a lock and a task update), a third of a replay's own work.
PROGRESS_STEP = 1024


@contextmanager
def _spinner(what: str) -> Iterator[Callable[..., None]]:
    """A progress display on stderr counting records (the total is not known in advance)."""
    with Progress(
        SpinnerColumn(),
        TextColumn(what),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as progress:
        task = progress.add_task(what, total=None)
        counted = _Counted(lambda count: progress.advance(task, count))
        yield counted
        counted.flush()


class _Counted:
    """Counts records, passing the count on every PROGRESS_STEP of them and when flushed."""

    def __init__(self, report: Callable[[int], None]) -> None:
        self._report = report
        self._pending = 0

    def __call__(self, count: int = 1) -> None:
        self._pending += count
        if self._pending >= PROGRESS_STEP:
            self.flush()

    def flush(self) -> None:
        """Pass on what was counted since the last time."""
        if self._pending:
            self._report(self._pending)
            self._pending = 0
