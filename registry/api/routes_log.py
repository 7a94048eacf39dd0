"""The public record as a transparency log: checkpoint, verifier key, tiles and proofs.

Anyone can check the log with tools that are not ours: the checkpoint is a
C2SP signed note, the key a signed-note verifier key, the tiles C2SP
tlog-tiles (full tiles never change and are cached for a year), and the
proofs RFC 9162 inclusion and consistency proofs over the latest signed head.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi import APIRouter, Path, Query, Response

from registry.api.deps import ServicesDep
from registry.api.problems import ProblemError
from registry.api.schemas import Problem
from registry.api.services import Services
from registry.record import merkle, note
from registry.record.tile_paths import TilePathError, TileRef, parse_tile_path
from registry.record.tiles import TILE_HEIGHT, TILE_WIDTH, entry_bundle, tile_width

router = APIRouter(prefix="/log", tags=["transparency log"])

_TEXT = "text/plain; charset=utf-8"
_IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}
_FRESH = {"Cache-Control": "public, max-age=0, must-revalidate"}


_SIGNED: dict[int | str, dict[str, Any]] = {
    200: {"content": {_TEXT: {}}},
    404: {"description": "Nothing signed yet."},
}


@router.get("/checkpoint", response_class=Response, responses=_SIGNED)
def checkpoint(services: ServicesDep) -> Response:
    """The latest signed checkpoint (C2SP tlog-checkpoint in a C2SP signed note).

    It carries the cosignatures of the witnesses collected so far; with
    ``LOG_WITNESS_QUORUM`` set, it is the newest checkpoint that many witnesses cosigned.
    """
    _, signed = _latest(services)
    return Response(signed, media_type=_TEXT, headers=_FRESH)


@router.get("/vkey", response_class=Response, responses={200: {"content": {_TEXT: {}}}})
def vkey(services: ServicesDep) -> Response:
    """The verifier keys of the log (C2SP signed-note format), one per line, oldest first."""
    origin = services.settings.log_origin
    lines = [note.verifier_of(origin, _public_key(pem)).vkey + "\n"
             for _, pem, _ in services.checkpoints.public_keys()]  # fmt: skip
    return Response("".join(lines), media_type=_TEXT, headers=_FRESH)


@router.get("/tile/{path:path}", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}},
                       404: {"description": "The log does not hold that tile (yet)."}})  # fmt: skip
def tile(path: Annotated[str, Path(description="<L>/<N>[.p/<W>] or entries/<N>[.p/<W>]")],
         services: ServicesDep) -> Response:  # fmt: skip
    """A hash tile or an entry bundle of the latest signed tree (C2SP tlog-tiles)."""
    try:
        ref = parse_tile_path(path)
    except TilePathError as error:
        raise ProblemError(404, "no-such-tile", str(error)) from None
    size, _ = _latest(services)
    data = _tile_data(services, ref, size)
    return Response(data, media_type="application/octet-stream",
                    headers=_IMMUTABLE if ref.full else _FRESH)  # fmt: skip


_NOT_IN_THE_LOG: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such leaf or tree in the signed log."}
}


@router.get("/proof/inclusion", responses=_NOT_IN_THE_LOG)
def inclusion(
    services: ServicesDep,
    index: Annotated[int, Query(ge=0, description="The leaf: the record's sequence minus one.")],
    size: Annotated[int | None, Query(ge=1, description="The tree (default: latest)")] = None,
) -> dict[str, object]:
    """The RFC 9162 inclusion proof of one record in a signed tree."""
    tree_size = _signed_size(services, size)
    try:
        proof = merkle.inclusion_proof(services.log, tree_size, index)
    except merkle.ProofError as error:
        raise ProblemError(404, "no-such-leaf", str(error)) from None
    leaf = services.log.subtree(0, index)
    return {"index": index, "size": tree_size, "leaf_hash": _b64(leaf),
            "proof": [_b64(h) for h in proof]}  # fmt: skip


@router.get("/proof/consistency", responses=_NOT_IN_THE_LOG)
def consistency(
    services: ServicesDep,
    old: Annotated[int, Query(ge=1, description="The older tree's size.")],
    new: Annotated[int | None, Query(ge=1, description="The newer tree (default: latest)")] = None,
) -> dict[str, object]:
    """The RFC 9162 consistency proof that the older tree is a prefix of the newer."""
    tree_size = _signed_size(services, new)
    try:
        proof = merkle.consistency_proof(services.log, tree_size, old)
    except merkle.ProofError as error:
        raise ProblemError(404, "no-such-tree", str(error)) from None
    return {"old": old, "new": tree_size, "proof": [_b64(h) for h in proof]}


def _latest(services: Services) -> tuple[int, str]:
    quorum = services.settings.log_witness_quorum
    latest = services.log.published(quorum)
    if latest is None:
        detail = f" cosigned by {quorum} witnesses" if quorum else ""
        raise ProblemError(404, "log-empty", f"The log has no signed checkpoint{detail} yet.")
    return latest


def _signed_size(services: Services, size: int | None) -> int:
    latest, _ = _latest(services)
    if size is None:
        return latest
    if size > latest:
        raise ProblemError(404, "no-such-tree", f"The latest signed tree has {latest} records.")
    return size


def _tile_data(services: Services, ref: TileRef, size: int) -> bytes:
    level = 0 if ref.level is None else ref.level
    if tile_width(size, level, ref.index) < ref.width:
        raise ProblemError(404, "no-such-tile", f"The signed tree of {size} records lacks it.")
    first = ref.index * TILE_WIDTH
    if ref.level is None:
        return entry_bundle(services.log.leaves(first, ref.width))
    return b"".join(services.log.subtrees(TILE_HEIGHT * ref.level, first, ref.width))


def _public_key(pem: str) -> Ed25519PublicKey:
    key = load_pem_public_key(pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        msg = "a signing key is not Ed25519"
        raise TypeError(msg)
    return key


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
