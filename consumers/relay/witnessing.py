"""Collecting the witnesses' cosignatures of the log's newest checkpoint.

Beside the relay, a loop offers each configured witness the newest signed
checkpoint with a consistency proof from the size that witness last
cosigned (learnt from its 409 answer when not known), checks the
cosignature it gets back against the witness's pinned key, and keeps it with
the checkpoint, where ``GET /log/checkpoint`` publishes it. A witness that
is away is asked again later, with growing pauses; a witness that refuses
a checkpoint the log signed is the alarm this exists for, and is logged as
an error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import structlog

from consumers.messaging.broker import KafkaOutbound
from consumers.parts.resilience import TRANSIENT, Backoff, describe
from registry.adapters.log_store import LogStore
from registry.adapters.witness_client import WitnessUnavailableError, add_checkpoint
from registry.config import WitnessEndpoint
from registry.record.cosignature import cosignature_in
from registry.record.merkle import consistency_proof
from registry.record.messages import encode_witnessed
from registry.record.witness_protocol import AddCheckpoint, WitnessRefusedError

log = structlog.get_logger(__name__)


@dataclass
class _Asked:
    """What is known of one witness: the size it last cosigned, and when to ask again."""

    size: int = 0
    cosigned: int = 0
    next_try: float = 0.0
    backoff: Backoff = field(default_factory=lambda: Backoff(initial=1.0, ceiling=60.0))


@dataclass(frozen=True)
class Publication:
    """Where witnessed checkpoints go: the checkpoints topic, and the clients sending to it."""

    outbound: KafkaOutbound
    topic: str
    source: str
    quorum: int


class WitnessCollector:
    """Asks every witness to cosign the newest checkpoint and keeps the cosignatures.

    Each time the newest checkpoint with a quorum of cosignatures moves, it
    is also published on the checkpoints topic, so that a consumer of the
    topic alone holds witnessed checkpoints to check the record against.
    """

    def __init__(
        self, log_store: LogStore, witnesses: Sequence[WitnessEndpoint], client: httpx.Client,
        publication: Publication | None = None,
    ) -> None:  # fmt: skip
        self._log = log_store
        self._witnesses = list(witnesses)
        self._client = client
        self._asked = {w.cosigner.name: _Asked() for w in self._witnesses}
        self._publication = publication
        self._published = 0

    def collect(self) -> int:
        """One round: the number of new cosignatures kept."""
        latest = self._log.latest()
        if latest is None:
            return 0
        size, checkpoint = latest
        kept = 0
        for witness in self._witnesses:
            asked = self._asked[witness.cosigner.name]
            if asked.cosigned < size and asked.next_try <= time.monotonic():
                kept += self._ask(witness, asked, size, checkpoint)
        self._publish()
        return kept

    def _publish(self) -> None:
        """Send the newest witnessed checkpoint to the topic, once, when it moved."""
        if self._publication is None:
            return
        witnessed = self._log.published(max(self._publication.quorum, 1))
        if witnessed is None or witnessed[0] <= self._published:
            return
        size, note = witnessed
        now = datetime.now(UTC).isoformat()
        message = encode_witnessed(note, size, source=self._publication.source, time=now)
        self._publication.outbound.send([(self._publication.topic, message)])
        self._published = size
        log.info("witnessed checkpoint published", size=size)

    def run(self, stop: threading.Event, interval: float) -> None:
        """Collect until stopped, waiting out a database that is away."""
        backoff = Backoff()
        while not stop.is_set():
            try:
                self.collect()
                backoff.reset()
                stop.wait(interval)
            except TRANSIENT as error:
                log.warning("cosignatures: waiting out a fault", error=describe(error))
                backoff.wait(stop)

    def close(self) -> None:
        """Release the database connections and the HTTP client."""
        self._client.close()
        self._log.close()
        if self._publication is not None:
            self._publication.outbound.close()

    def _ask(self, witness: WitnessEndpoint, asked: _Asked, size: int, checkpoint: str) -> int:
        name = witness.cosigner.name
        for _ in range(2):  # a second time once a 409 told the witness's size
            if asked.size > size:
                log.error("a witness cosigned a larger tree than the log's newest",
                          witness=name, witness_size=asked.size, log_size=size)  # fmt: skip
                return 0
            proof = consistency_proof(self._log, size, asked.size) if 0 < asked.size < size else []
            try:
                response = add_checkpoint(
                    self._client, witness.url, AddCheckpoint(asked.size, tuple(proof), checkpoint)
                )
            except WitnessUnavailableError as error:
                self._later(asked, name, str(error))
                return 0
            except WitnessRefusedError as refusal:
                if refusal.latest_size is not None and refusal.latest_size != asked.size:
                    asked.size = refusal.latest_size
                    continue
                log.error("a witness refused the log's checkpoint", witness=name, size=size,
                          status=refusal.status, reason=str(refusal))  # fmt: skip
                self._later(asked, name, f"refused with {refusal.status}")
                return 0
            return self._keep(witness, asked, size, checkpoint, response)
        return 0

    def _keep(
        self, witness: WitnessEndpoint, asked: _Asked, size: int, checkpoint: str, response: str
    ) -> int:
        line = cosignature_in(checkpoint, response, witness.cosigner)
        if line is None:
            self._later(asked, witness.cosigner.name, "no valid cosignature in its answer")
            return 0
        self._log.add_cosignature(size, witness.cosigner.name, line)
        asked.size = asked.cosigned = size
        asked.backoff.reset()
        log.debug("checkpoint cosigned", witness=witness.cosigner.name, size=size)
        return 1

    def _later(self, asked: _Asked, name: str, why: str) -> None:
        delay = asked.backoff.next_delay()
        asked.next_try = time.monotonic() + delay
        log.warning("a witness did not cosign; asking again later", witness=name, why=why,
                    attempt=asked.backoff.failures, retry_in_seconds=round(delay, 1))  # fmt: skip
