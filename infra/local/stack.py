"""The whole registry on one machine: broker, relay, runner, feed publisher, HTTP server.

Each part runs as its own ``partner-registry`` process, as in production;
this supervisor starts them, restarts one that dies, and on stop ends them
in reverse order and then the broker. The local broker is started only when
no Kafka cluster is configured.

A part that keeps dying is restarted for as long as it takes, after a
delay that grows (with jitter, up to half a minute) while it keeps failing
and starts short again once it has run for a minute: one failing part
never takes the others, above all the HTTP server, down with it. Each exit
and restart is logged on the terminal; the part's silence shows in
``/readyz``.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import structlog

from consumers.parts.resilience import Backoff
from infra.local.broker import TANSU_FETCH_MAX_WAIT_MS, LocalBroker, free_port

log = structlog.get_logger(__name__)

_HEALTHY_AFTER_SECONDS = 60.0
_MAX_RESTART_DELAY = 30.0


class StackError(RuntimeError):
    """The stack could not start."""


@dataclass
class Part:
    """One supervised process."""

    name: str
    args: list[str]
    process: subprocess.Popen[bytes] | None = None
    log_file: IO[bytes] | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    restarts: int = 0
    backoff: Backoff = field(default_factory=lambda: Backoff(1.0, _MAX_RESTART_DELAY))


class LocalStack:
    """Starts, watches and stops every part of the registry."""

    def __init__(self, host: str, port: int, log_dir: Path, kafka: str | None) -> None:
        self.host, self.port, self.log_dir = host, port, log_dir
        self._kafka = kafka
        self._broker: LocalBroker | None = None
        self._session_secret = secrets.token_urlsafe(32)
        self._parts = [
            Part("relay", ["relay"]),
            Part("project", ["project"]),
            Part("publish-feed", ["publish-feed"]),
            Part("serve", ["serve", "--host", host, "--port", str(port)]),
        ]

    @property
    def url(self) -> str:
        """Where the HTTP server answers."""
        return f"http://{self.host}:{self.port}"

    @property
    def kafka(self) -> str:
        """The bootstrap servers in use."""
        return self._kafka or ""

    def start(self, timeout: float = 60.0) -> None:
        """Start the broker if needed and every part; return once the API answers."""
        if _in_use(self.host, self.port):
            raise StackError(
                f"port {self.port} on {self.host} is in use; choose another with --port"
            )
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if self._kafka is None:
            self._broker = LocalBroker(_preferred_port(9092), log_path=self.log_dir / "broker.log")
            self._broker.start()
            self._kafka = self._broker.bootstrap_servers
        for part in self._parts:
            self._launch(part)
        self._wait_for_api(timeout)

    def supervise(self, stop: threading.Event, tick: float = 0.5) -> None:
        """Restart parts that die, until ``stop`` is set."""
        while not stop.wait(tick):
            for part in self._parts:
                self._watch(part, time.monotonic())

    def stop(self) -> None:
        """End every part, newest first, then the broker."""
        for part in reversed(self._parts):
            _end(part)
        if self._broker is not None:
            self._broker.stop()

    def _watch(self, part: Part, now: float) -> None:
        """Schedule a restart for a part that exited; restart it when its delay is up."""
        if part.process is not None and part.process.poll() is not None:
            status = part.process.returncode
            _end(part)
            if now - part.started_at >= _HEALTHY_AFTER_SECONDS:
                part.backoff.reset()
            delay = part.backoff.next_delay()
            part.restart_at = now + delay
            log.warning(
                f"{part.name} exited with status {status}; restarting in {delay:.1f} s",
                part=part.name, status=status, restarts=part.restarts,
                log_file=str(self.log_dir / f"{part.name}.log"),
            )  # fmt: skip
        if part.process is None and part.restart_at is not None and now >= part.restart_at:
            part.restart_at = None
            part.restarts += 1
            self._launch(part)

    def _launch(self, part: Part) -> None:
        part.started_at = time.monotonic()
        part.log_file = (self.log_dir / f"{part.name}.log").open("ab")
        part.process = subprocess.Popen(  # noqa: S603 - our own entry point
            [sys.executable, "-m", "registry", *part.args],
            env=self.environment(), stdout=part.log_file, stderr=part.log_file,
        )  # fmt: skip

    def environment(self) -> dict[str, str]:
        """What every part is told: the broker, JSON logs, and the server's real public URL.

        The public URL (the Atom feed's ids and links) is where this stack's
        server answers, unless PUBLIC_BASE_URL says otherwise (behind a proxy);
        the officers' sessions are signed with one secret for the stack's life,
        so a restarted server keeps them.
        """
        env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": self.kafka, "LOG_FORMAT": "json"}
        env.setdefault("PUBLIC_BASE_URL", self.url)
        env.setdefault("SESSION_SECRET", self._session_secret)
        if self._broker is not None:
            env.setdefault("KAFKA_FETCH_MAX_WAIT_MS", str(TANSU_FETCH_MAX_WAIT_MS))
        return env

    def _wait_for_api(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            serve = self._parts[-1].process
            if serve is not None and serve.poll() is not None:
                raise StackError(f"the HTTP server exited; see {self.log_dir / 'serve.log'}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):  # noqa: S310
                    return
            except OSError:
                time.sleep(0.2)
        raise StackError(f"the HTTP server did not answer within {timeout} s")


def _end(part: Part, timeout: float = 15.0) -> None:
    process, part.process = part.process, None
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if part.log_file is not None:
        part.log_file.close()
        part.log_file = None


def _in_use(host: str, port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((host, port)) == 0


def _preferred_port(port: int) -> int:
    return free_port() if _in_use("127.0.0.1", port) else port
