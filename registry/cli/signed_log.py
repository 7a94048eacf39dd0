"""``partner-registry log``: the signed log's checkpoint and proofs, checked before shown.

With ``--url`` everything comes from a registry's public API, as an outsider
gets it; without, from the log's tables beside the event store. Either way
the checkpoint's signature is checked against the pinned key and the proof
against the signed root: exit 0 means verified, 6 means it does not hold.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import httpx
import typer

from consumers.audit.proofs import HttpProofs, LocalProofs, ProofSource
from consumers.audit.tiles_reader import HttpLog
from consumers.parts import heap
from registry.cli.app import app
from registry.cli.json_output import AsJson, emit_json
from registry.cli.pinned_keys import PublicKeyOption, cosigners_of, log_verifiers_of
from registry.config import Settings
from registry.record import merkle
from registry.record.log_verification import signed_head
from registry.record.note import NoteError, Verifier, open_note
from registry.record.tree_head import TreeHead, TreeHeadError, parse

log_commands = typer.Typer(
    help="The signed log: checkpoint, inclusion and consistency proofs, verified.",
    no_args_is_help=True,
)
app.add_typer(log_commands, name="log")

UrlOption = Annotated[
    str | None,
    typer.Option(help="Ask this registry (base URL) instead of the local log tables."),
]
VkeyOption = Annotated[
    list[str] | None,
    typer.Option(help="The log's verifier key (GET /log/vkey); repeatable."),
]


@log_commands.command("checkpoint")
def checkpoint(
    ctx: typer.Context, url: UrlOption = None, log_vkey: VkeyOption = None,
    public_key: PublicKeyOption = None,
) -> None:  # fmt: skip
    """Print the latest signed checkpoint, once its signature is checked."""
    verifiers = log_verifiers_of(ctx.obj, public_key, log_vkey or [])
    with _source(ctx.obj, url) as source:
        note = source.checkpoint()
    _signed(note, verifiers, "the checkpoint")
    typer.echo(note, nl=False)


@log_commands.command("inclusion")
def inclusion(
    ctx: typer.Context,
    sequence: Annotated[int, typer.Argument(min=1, help="The record's sequence (leaf + 1).")],
    url: UrlOption = None, log_vkey: VkeyOption = None, public_key: PublicKeyOption = None,
    as_json: AsJson = False,
) -> None:  # fmt: skip
    """Prove that record SEQUENCE is in the latest signed tree, and check the proof."""
    verifiers = log_verifiers_of(ctx.obj, public_key, log_vkey or [])
    with _source(ctx.obj, url) as source:
        head = _signed(source.checkpoint(), verifiers, "the latest checkpoint")
        if sequence > head.size:
            raise typer.BadParameter(f"the signed log holds {head.size} records",
                                     param_hint="SEQUENCE")  # fmt: skip
        leaf = source.leaf(sequence - 1, head.size)
        proof = source.inclusion(sequence - 1, head.size)
    digest = merkle.leaf_hash(leaf)
    _holds(lambda: merkle.verify_inclusion(digest, sequence - 1, head.size, proof, head.root_hash))
    _show({"sequence": sequence, "leaf_index": sequence - 1, "tree_size": head.size,
           "root_hash": _b64(head.root_hash), "leaf_hash": _b64(digest),
           "proof": [_b64(h) for h in proof], "verified": True}, as_json,
          f"Record {sequence} is leaf {sequence - 1} of the signed tree of {head.size} "
          f"records: inclusion proof of {len(proof)} hashes verified.")  # fmt: skip


@log_commands.command("consistency")
def consistency(
    ctx: typer.Context,
    older: Annotated[Path, typer.Argument(help="A signed checkpoint you kept from before.")],
    url: UrlOption = None, log_vkey: VkeyOption = None, public_key: PublicKeyOption = None,
    as_json: AsJson = False,
) -> None:  # fmt: skip
    """Prove that the tree of an older checkpoint is a prefix of today's, and check it."""
    verifiers = log_verifiers_of(ctx.obj, public_key, log_vkey or [])
    old = _signed(older.read_text(encoding="utf-8"), verifiers, str(older))
    with _source(ctx.obj, url) as source:
        new = _signed(source.checkpoint(), verifiers, "the latest checkpoint")
        if old.size > new.size:
            typer.echo(f"error: {older} is of {old.size} records, more than the log's "
                       f"{new.size} now: the log was cut short", err=True)  # fmt: skip
            raise typer.Exit(6)
        proof = source.consistency(old.size, new.size) if old.size < new.size else []
    _holds(lambda: merkle.verify_consistency(old.size, new.size, old.root_hash, new.root_hash,
                                             proof))  # fmt: skip
    _show({"old_size": old.size, "new_size": new.size, "old_root": _b64(old.root_hash),
           "new_root": _b64(new.root_hash), "proof": [_b64(h) for h in proof],
           "verified": True}, as_json,
          f"The tree of {old.size} records is a prefix of today's {new.size}: "
          f"consistency proof of {len(proof)} hashes verified.")  # fmt: skip


@log_commands.command("verify")
def verify(
    ctx: typer.Context,
    url: Annotated[str, typer.Option(help="The registry's base URL (or a mirror of /log/).")],
    log_vkey: VkeyOption = None, public_key: PublicKeyOption = None,
    witness: Annotated[
        list[str] | None, typer.Option(help="A witness's vkey to require; repeatable.")
    ] = None,
    quorum: Annotated[
        int | None, typer.Option(min=1, help="How many --witness must cosign [default: all].")
    ] = None,
) -> None:  # fmt: skip
    """Check that the log's entry tiles hold exactly the tree its signed checkpoint states.

    The tlog-tiles check, and nothing more: every record's leaf hash, the
    tree's root against the signed checkpoint (and the witnesses' quorum).
    ``audit replay --url`` checks the records' meaning as well.
    """
    verifiers = log_verifiers_of(ctx.obj, public_key, log_vkey or [])
    cosigners = cosigners_of(witness or [])
    with httpx.Client(base_url=url, timeout=30) as client:
        log = HttpLog(client)
        note = log.checkpoint()
        try:
            head, problems = signed_head(note, verifiers, cosigners,
                                         len(cosigners) if quorum is None else quorum)  # fmt: skip
        except (NoteError, TreeHeadError) as error:
            typer.echo(f"error: the served checkpoint is not a checkpoint: {error}", err=True)
            raise typer.Exit(6) from None
        for _, detail in problems:
            typer.echo(f"error: {detail}", err=True)
        if problems:
            raise typer.Exit(6)
        tree = merkle.Frontier()
        heap.settle()
        for leaf in log.leaves(head.size):
            tree.append(merkle.leaf_hash(leaf))
    if tree.root() != head.root_hash:
        typer.echo(f"error: the tiles' {head.size} records do not hash to the signed root: "
                   "the served log is not the one the key signed", err=True)  # fmt: skip
        raise typer.Exit(6)
    typer.echo(
        f"The {head.size} records served hash to the root the log's key signed"
        f"{f' and {len(cosigners)} witnesses cosigned' if cosigners else ''}: verified."
    )


@contextmanager
def _source(settings: Settings, url: str | None) -> Iterator[ProofSource]:
    if url is not None:
        with httpx.Client(base_url=url, timeout=30) as client:
            yield HttpProofs(client)
        return
    from registry.bootstrap import build_log_store  # noqa: PLC0415 - not needed with --url

    store = build_log_store(settings)
    try:
        yield LocalProofs(store)
    finally:
        store.close()


def _signed(note: str, verifiers: list[Verifier], what: str) -> TreeHead:
    try:
        text, _ = open_note(note, verifiers)
        return parse(text)
    except (NoteError, TreeHeadError) as error:
        typer.echo(f"error: {what} does not verify with the log's key: {error}", err=True)
        raise typer.Exit(6) from None


def _holds(check: Callable[[], None]) -> None:
    try:
        check()
    except merkle.ProofError as error:
        typer.echo(f"error: the proof does not verify: {error}", err=True)
        raise typer.Exit(6) from None


def _show(document: dict[str, object], as_json: bool, sentence: str) -> None:
    if as_json:
        emit_json(document)
    else:
        typer.echo(sentence)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
