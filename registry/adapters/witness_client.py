"""Asking a witness to cosign (the client side of C2SP tlog-witness ``add-checkpoint``)."""

from __future__ import annotations

import httpx

from registry.record.witness_protocol import AddCheckpoint, WitnessRefusedError

_SIZE = "text/x.tlog.size"
_SERVER_ERROR = 500


class WitnessUnavailableError(ConnectionError):
    """The witness did not answer, or failed on its side: worth asking again later."""


def add_checkpoint(client: httpx.Client, url: str, request: AddCheckpoint) -> str:
    """The witness's signature lines for the request's checkpoint.

    Raises WitnessRefusedError with the protocol's status (and, on 409, the
    size the witness last cosigned), or WitnessUnavailableError.
    """
    try:
        response = client.post(
            f"{url}/add-checkpoint",
            content=request.body().encode(),
            headers={"Content-Type": "text/plain; charset=utf-8"},
        )
    except httpx.HTTPError as error:
        raise WitnessUnavailableError(f"{url}: {error}") from error
    if response.is_success:
        return response.text
    if response.status_code >= _SERVER_ERROR:
        raise WitnessUnavailableError(f"{url} answered {response.status_code}")
    size = _size(response) if response.status_code == httpx.codes.CONFLICT else None
    raise WitnessRefusedError(response.status_code, response.text.strip(), size)


def _size(response: httpx.Response) -> int | None:
    text = response.text.strip()
    is_size = response.headers.get("content-type", "").startswith(_SIZE) and text.isdigit()
    return int(text) if is_size else None
