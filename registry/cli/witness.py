"""``partner-registry witness``: a C2SP tlog-witness for the registry's log, run by someone else.

An outside body runs it with its own key and the log's verifier key, and
gives the registry its URL and verifier key (``LOG_WITNESSES``). It
remembers, in its own database, the latest checkpoint it cosigned, so the
registry can never get a second history of the same log witnessed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from registry.adapters.witness_store import Witness, WitnessStore
from registry.bootstrap import open_database
from registry.cli.app import app
from registry.config import Settings
from registry.record.note import NoteError, Verifier, parse_vkey
from registry.record.signing import load_or_create_key


@app.command()
def witness(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Option(help="This witness's name, a schema-less URL: bpk.go.id/witness.")
    ],
    log: Annotated[
        list[str],
        typer.Option(help="A log's verifier key (vkey) to witness; repeat for more logs."),
    ],
    key_file: Annotated[
        Path, typer.Option(help="The witness's Ed25519 key (PEM), created if missing.")
    ] = Path("var/keys/witness.pem"),
    state: Annotated[
        str, typer.Option(help="Database URL for what the witness remembers.")
    ] = "sqlite:///var/witness.sqlite3",
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8090,
    print_vkey: Annotated[
        bool, typer.Option("--print-vkey", help="Print this witness's vkey and exit.")
    ] = False,
) -> None:
    """Cosign the logs' checkpoints that are consistent with all this witness saw before."""
    settings: Settings = ctx.obj
    store = WitnessStore(open_database(state, settings))
    this = Witness(name, load_or_create_key(key_file), _logs(log), store)
    if print_vkey:
        typer.echo(this.vkey)
        return
    store.setup()
    typer.echo(f"Witness {name} ({this.vkey}) at http://{host}:{port}/add-checkpoint", err=True)
    from registry.api.witness_app import create_witness_app  # noqa: PLC0415 - keep other commands' start-up light

    try:
        uvicorn.run(create_witness_app(this), host=host, port=port, log_config=None,
                    access_log=False, server_header=False)  # fmt: skip
    finally:
        store.close()


def _logs(vkeys: list[str]) -> dict[str, list[Verifier]]:
    logs: dict[str, list[Verifier]] = {}
    for vkey in vkeys:
        try:
            verifier = parse_vkey(vkey)
        except NoteError as error:
            raise typer.BadParameter(str(error), param_hint="--log") from None
        logs.setdefault(verifier.name, []).append(verifier)
    return logs
