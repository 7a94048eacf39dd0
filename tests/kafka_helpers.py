"""Reading topics back in tests, and running a relay beside them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import httpx
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from pydantic import SecretStr

from consumers.messaging.broker import BrokerUnavailableError
from consumers.relay.relay import Relay
from infra.local.broker import free_port
from projections.storage.store import ReadModelStore
from registry.bootstrap import build_projection_runner, build_read_models, build_relay
from registry.config import Settings
from registry.record.messages import Message, PublishedEvent, decode_event
from tests.conftest import open_registry
from tests.histories import more_events

Records = list[Any]


class TopicReader:
    """Reads a whole topic from the beginning, accumulating what arrives."""

    def __init__(self, bootstrap_servers: str, topic: str) -> None:
        self.topic = topic
        self.records: Records = []
        self._consumer = KafkaConsumer(
            bootstrap_servers=bootstrap_servers, enable_auto_commit=False
        )
        self._assigned = False

    def poll_until(self, done: Callable[[Records], bool], timeout: float = 20.0) -> Records:
        """Poll until ``done(records)`` holds, or fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not done(self.records):
            if time.monotonic() > deadline:
                msg = f"{self.topic}: condition not met after {timeout} s ({len(self.records)} records)"
                raise AssertionError(msg)
            self._poll()
        return self.records

    def events(self) -> list[PublishedEvent]:
        """The records read so far, decoded as partner events."""
        return [decode_event(r.key, r.value, r.headers) for r in self.records]

    def close(self) -> None:
        """Release the consumer."""
        self._consumer.close()

    def _poll(self) -> None:
        if not self._assigned:
            partitions = self._consumer.partitions_for_topic(self.topic)
            if not partitions:
                time.sleep(0.1)
                return
            self._consumer.assign([TopicPartition(self.topic, p) for p in partitions])
            self._consumer.seek_to_beginning()
            self._assigned = True
        for batch in self._consumer.poll(200).values():
            self.records.extend(batch)


def relay_settings(database_url: str, bootstrap_servers: str, **overrides: Any) -> Settings:
    """Settings for a relay on this store and broker, quick to notice an empty broker."""
    values: dict[str, Any] = {
        "database_url": SecretStr(database_url),
        "kafka_bootstrap_servers": bootstrap_servers,
        "relay_safety_poll_seconds": 0.5,
    }
    values.update(overrides)
    return Settings(**values)


@contextmanager
def running_relay(settings: Settings) -> Iterator[Relay]:
    """A relay running in a thread of this process until the block ends."""
    registry = open_registry(settings.database_url.get_secret_value())
    relay = build_relay(settings, registry)
    try:
        with in_a_thread(relay.run):
            yield relay
    finally:
        registry.close()


@contextmanager
def in_a_thread(run: Callable[[threading.Event], Any]) -> Iterator[None]:
    """Run ``run(stop)`` in a daemon thread until the block ends, then stop and join it."""
    stop = threading.Event()
    thread = threading.Thread(target=run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


@contextmanager
def steady_writes(database_url: str, pause: float = 0.05) -> Iterator[None]:
    """Commands recorded continuously by another writer while the block runs."""

    def write(stop: threading.Event) -> None:
        registry = open_registry(database_url)
        while not stop.is_set():
            more_events(registry, 1)
            stop.wait(pause)
        registry.close()

    with in_a_thread(write):
        yield


def sequences(events: list[PublishedEvent]) -> list[int]:
    """The distinct sequence numbers seen, in order."""
    return sorted({e.sequence for e in events})


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait until ``condition()`` holds, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            msg = f"condition not met after {timeout} s"
            raise AssertionError(msg)
        time.sleep(0.05)


CLI = Path(sys.executable).with_name("partner-registry")


class ServiceProcess:
    """A partner-registry command running as its own process, logging JSON to a file."""

    started: ClassVar[list[ServiceProcess]] = []

    def __init__(self, args: list[str], log_path: Path, env: dict[str, str]) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        full_env = {**os.environ, "LOG_FORMAT": "json", **env}
        self.process = subprocess.Popen(
            [str(CLI), *args], env=full_env, stdout=self._log, stderr=self._log
        )
        ServiceProcess.started.append(self)

    @classmethod
    def kill_leftovers(cls) -> int:
        """Kill the processes a test started and did not stop (it failed half-way); how many."""
        left = [service for service in cls.started if service.process.poll() is None]
        for service in left:
            service.kill()
        cls.started.clear()
        return len(left)

    @staticmethod
    def output(args: list[str], env: dict[str, str] | None = None) -> str:
        """What a short partner-registry command prints, once it has exited 0."""
        done = subprocess.run(
            [str(CLI), *args], env={**os.environ, **(env or {})}, capture_output=True,
            text=True, check=True, timeout=60,
        )  # fmt: skip
        return done.stdout.strip()

    def logged(self, event: str) -> bool:
        """Whether the process has logged a line with this event."""
        for line in self.log_path.read_text().splitlines():
            try:
                if json.loads(line).get("event") == event:
                    return True
            except json.JSONDecodeError:
                continue
        return False

    def kill(self) -> None:
        """SIGKILL: no chance to finish anything."""
        self.process.kill()
        self.process.wait()
        self._log.close()

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, and the exit status once it has stopped."""
        self.process.terminate()
        status = self.process.wait(timeout)
        self._log.close()
        return status


def relay_process(
    database_url: str, bootstrap_servers: str, log_path: Path, **env: str
) -> ServiceProcess:
    """``partner-registry relay`` against this store and broker."""
    return ServiceProcess(
        ["relay"],
        log_path,
        {
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers,
            "RELAY_SAFETY_POLL_SECONDS": "0.5",
            **env,
        },
    )


@contextmanager
def running_projection(settings: Settings) -> Iterator[ReadModelStore]:
    """A projection runner in a thread of this process, and its read-model store."""
    store = build_read_models(settings)
    runner = build_projection_runner(settings, store)
    try:
        with in_a_thread(runner.run):
            yield store
    finally:
        store.close()


def produce(
    bootstrap_servers: str,
    topic: str,
    records: Sequence[tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]],
) -> None:
    """Write raw records to a topic, as any producer could."""
    producer = KafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    for key, value, headers in records:
        producer.send(topic, key=key, value=value, headers=headers)
    producer.flush()
    producer.close()


def service_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment a partner-registry process needs for these settings."""
    return {
        "DATABASE_URL": settings.database_url.get_secret_value(),
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers or "",
        "RELAY_SAFETY_POLL_SECONDS": str(settings.relay_safety_poll_seconds),
        "PROJECTION_STALL_SECONDS": str(settings.projection_stall_seconds),
        "KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
        "DATABASE_POOL_MAX": "4",
        # The relay signs with this key and the read side verifies with it: one per run.
        "SIGNING_KEY_FILE": settings.signing_key_file,
        **extra,
    }


@contextmanager
def serving_api(settings: Settings, **extra: str) -> Iterator[str]:
    """``partner-registry serve`` on a free port for these settings; its base URL."""
    port = free_port()
    env = {**os.environ, **service_env(settings, **extra)}
    server = subprocess.Popen([str(CLI), "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _healthy(url))
        yield url
    finally:
        server.terminate()
        server.wait(15)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def outsider(folder: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """The CLI as an outsider runs it: no database, no key file, an empty folder (and ``extra``)."""
    folder.mkdir(exist_ok=True)
    env = {"PATH": os.environ["PATH"], "HOME": str(folder), "LOG_FORMAT": "console",
           "SIGNING_KEY_FILE": str(folder / "no-such-key.pem"), **extra}  # fmt: skip
    return subprocess.run([str(CLI), *args], env=env, cwd=folder, capture_output=True, text=True,
                          check=False, timeout=120)  # fmt: skip


class RecordingOutbound:
    """An outbound that keeps what the relay sends; ``fail_at`` makes that send fail once."""

    def __init__(self, fail_at: int | None = None, before_send: Callable[[], None] = lambda: None):
        self.sent: list[list[tuple[str, Message]]] = []
        self._fail_at = fail_at
        self._before_send = before_send

    def send(self, messages: Sequence[tuple[str, Message]]) -> None:
        self._before_send()
        if len(self.sent) == self._fail_at:
            self._fail_at = None
            raise BrokerUnavailableError("broker away")
        self.sent.append(list(messages))

    def holds_history(self) -> bool:
        return bool(self.sent)

    def ensure_topics(self) -> None:
        """Nothing to create."""

    def reconnect(self) -> None:
        """Nothing to drop."""

    def close(self) -> None:
        """Nothing to release."""
