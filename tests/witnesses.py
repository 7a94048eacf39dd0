"""Witnesses as an outside body runs them: ``partner-registry witness`` processes on real ports."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from infra.local.broker import free_port
from registry.record.cosignature import Cosigner, parse_cosigner_vkey
from tests.kafka_helpers import ServiceProcess, wait_for


@dataclass
class RunningWitness:
    """A witness process, its URL and its pinned key."""

    name: str
    url: str
    cosigner: Cosigner
    process: ServiceProcess

    @property
    def endpoint(self) -> str:
        """This witness as a LOG_WITNESSES entry."""
        return f"{self.url} {self.cosigner.vkey}"


def witness_args(name: str, folder: Path, log_vkey: str, port: int) -> list[str]:
    return ["witness", "--name", name, "--log", log_vkey, "--port", str(port),
            "--key-file", str(folder / f"{_slug(name)}.pem"),
            "--state", f"sqlite:///{folder / f'{_slug(name)}.sqlite3'}"]  # fmt: skip


@contextmanager
def running_witness(
    name: str, folder: Path, log_vkey: str, port: int = 0
) -> Iterator[RunningWitness]:
    """A witness of the log with ``log_vkey``, keeping its key and memory in ``folder``."""
    port = port or free_port()
    args = witness_args(name, folder, log_vkey, port)
    vkey = ServiceProcess.output([*args, "--print-vkey"])
    process = ServiceProcess(args, folder / f"{_slug(name)}.log", {})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url), timeout=30)
        yield RunningWitness(name, url, parse_cosigner_vkey(vkey), process)
    finally:
        if process.process.poll() is None:
            process.stop()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).is_success
    except httpx.HTTPError:
        return False


def _slug(name: str) -> str:
    return name.replace("/", "_")
