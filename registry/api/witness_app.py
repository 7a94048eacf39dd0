"""A witness's HTTP service (C2SP tlog-witness): ``POST /add-checkpoint`` answers cosignatures.

It is run by someone other than the registry (the state audit board, a
university, a newspaper) with its own key; it trusts only the log keys it
was given, and answers with the protocol's status codes and bodies, so any
tlog-witness client can use it and the registry can use any witness.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from registry.adapters.witness_store import WitnessStore
from registry.record.cosignature import cosign, cosigner_of
from registry.record.note import Verifier
from registry.record.witness_protocol import WitnessRefusedError, parse_request

log = structlog.get_logger(__name__)

_TEXT = "text/plain; charset=utf-8"
_SIZE = "text/x.tlog.size"
MAX_REQUEST_BYTES = 16_384


@dataclass(frozen=True)
class Witness:
    """This witness: its name and key, the logs it watches, its memory."""

    name: str
    key: Ed25519PrivateKey
    logs: Mapping[str, Sequence[Verifier]]
    store: WitnessStore

    @property
    def vkey(self) -> str:
        """The verifier key clients pin for this witness's cosignatures."""
        return cosigner_of(self.name, self.key.public_key()).vkey

    def add_checkpoint(self, body: str) -> str:
        """The cosignature line for a request's checkpoint, or a WitnessRefusedError."""
        head = self.store.advance(parse_request(body), self.logs)
        log.info("checkpoint cosigned", origin=head.origin, size=head.size)
        return cosign(head.body(), self.name, self.key, int(time.time())).line()


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
