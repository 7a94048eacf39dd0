"""A witness's HTTP service (C2SP tlog-witness): ``POST /add-checkpoint`` answers cosignatures.

It is run by someone other than the registry (the state audit board, a
university, a newspaper) with its own key; it trusts only the log keys it
was given, and answers with the protocol's status codes and bodies, so any
tlog-witness client can use it and the registry can use any witness.
"""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from registry.adapters.witness_store import Witness
from registry.record.witness_protocol import WitnessRefusedError

log = structlog.get_logger(__name__)

_TEXT = "text/plain; charset=utf-8"
_SIZE = "text/x.tlog.size"
MAX_REQUEST_BYTES = 16_384


def create_witness_app(witness: Witness) -> FastAPI:
    """The witness's HTTP API."""
    app = FastAPI(title="Transparency log witness", openapi_url=None, docs_url=None)

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_REQUEST_BYTES:
            return Response("request too large\n", status_code=413, media_type=_TEXT)
        try:
            cosignature = await run_in_threadpool(witness.add_checkpoint, body.decode())
            return Response(cosignature, media_type=_TEXT)
        except UnicodeDecodeError:
            return Response("the request is not UTF-8\n", status_code=400, media_type=_TEXT)
        except WitnessRefusedError as refusal:
            return _refused(refusal)

    @app.get("/")
    def about() -> Response:
        lines = [f"witness {witness.name}", f"vkey {witness.vkey}",
                 *(f"log {origin}" for origin in witness.logs)]  # fmt: skip
        return Response("".join(f"{line}\n" for line in lines), media_type=_TEXT)

    return app


def _refused(refusal: WitnessRefusedError) -> Response:
    log.warning("checkpoint refused", status=refusal.status, reason=str(refusal))
    if refusal.status == 409 and refusal.latest_size is not None:  # noqa: PLR2004
        return Response(f"{refusal.latest_size}\n", status_code=409, media_type=_SIZE)
    return Response(f"{refusal}\n", status_code=refusal.status, media_type=_TEXT)
