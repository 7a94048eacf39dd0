"""Signing the next batch in a helper process while the relay sends this one.

Draining a backlog, the relay spends a third of a record's time signing the
checkpoint of the tree it ends, on the one core it runs on, while the other
core waits. So once a batch comes back full (more are waiting), the relay
reads the batch after it and hands its leaf hashes, with the tree's right edge,
to a helper process that signs them while the relay sends. The helper holds
the key and nothing else (no store, no broker); the relay keeps each batch's
log rows itself after Kafka's acknowledgement, as before. Its signatures are
the ones the relay would make (Ed25519 is deterministic), so whatever goes
wrong with it (an error, a crash, a batch signed for a place the relay did
not reach) costs time only: the relay signs the batch itself. A caught-up
relay signs each batch as it comes, and the helper waits idle.

The relay talks to the helper over a pipe from its own thread, one batch
at a time: an executor's feeder and result threads would wait for the
interpreter lock the relay holds while it sends, and were measured to make
the relay wait for signatures the helper had long finished.
"""

from __future__ import annotations

import multiprocessing
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection

import structlog

from consumers.parts.resilience import describe
from consumers.relay.batches import BatchReader, SignedBatch
from consumers.relay.transparency_log import SignedLeaves, TreeSigner
from registry.record.merkle import Frontier
from registry.record.messages import PublishedEvent
from registry.record.public_record import RecordPosition

log = structlog.get_logger(__name__)

OpenSigner = Callable[[], TreeSigner]
"""Opens the relay's signer in the helper process (picklable: a function and its settings)."""

_RESTART_AFTER = 60.0
_REPLY_WITHIN = 60.0
_READY = "ready"


class HelperFailedError(RuntimeError):
    """The helper process did not sign: it failed, died or did not answer in time."""


@dataclass(frozen=True)
class Failure:
    """The helper's answer when it could not sign: what went wrong, as text."""

    error: str


@dataclass(frozen=True)
class _Ahead:
    """The batch after ``position``, read, and being signed by the helper (or not)."""

    position: RecordPosition
    events: list[PublishedEvent]
    after: RecordPosition
    signing: bool


class SigningAhead:
    """The relay's batches; during a backlog, each signed in a helper while the last is sent."""

    def __init__(self, reader: BatchReader, open_signer: OpenSigner) -> None:
        self._reader = reader
        self._open_signer = open_signer
        self._helper: _Helper | None = None
        self._failed_at = -_RESTART_AFTER
        self._ahead: _Ahead | None = None
        self._signed_ahead = 0

    @property
    def signed_ahead(self) -> int:
        """How many batches the helper has signed (the benchmark reports it)."""
        return self._signed_ahead

    def helper_ready(self) -> bool:
        """Whether the helper is ready to sign; started here if it is not running."""
        if self._helper is None and time.monotonic() - self._failed_at >= _RESTART_AFTER:
            self._helper = _Helper(self._open_signer)
            log.info("starting a helper process to sign ahead", pid=self._helper.pid)
        try:
            return self._helper is not None and self._helper.ready()
        except HelperFailedError as error:
            log.warning("the signing helper did not start", error=describe(error))
            self._stop_failed_helper()
            return False

    def next(self, position: RecordPosition) -> SignedBatch:
        """The batch after ``position``: the one signed ahead if it starts there, else now."""
        batch = self._take_ahead(position) or self._reader.next(position)
        if len(batch.events) == self._reader.limit:
            self._sign_ahead(batch.position)
        return batch

    def keep(self, batch: SignedBatch) -> None:
        """Keep the batch's log rows: Kafka has acknowledged it."""
        self._reader.keep(batch)

    def forget(self) -> None:
        """Drop what was signed and not kept, here and ahead."""
        self._drop_ahead()
        self._reader.forget()

    def close(self) -> None:
        """Stop the helper process and release the connections."""
        self._drop_ahead()
        if self._helper is not None:
            self._helper.stop()
            self._helper = None
        self._reader.close()

    def _take_ahead(self, position: RecordPosition) -> SignedBatch | None:
        if self._ahead is None or self._ahead.position != position:
            self._drop_ahead()
            return None
        ahead, self._ahead = self._ahead, None
        signed = self._signed() if ahead.signing else None
        self._signed_ahead += signed is not None
        return self._reader.signed(ahead.events, ahead.after, signed)

    def _signed(self) -> SignedLeaves | None:
        try:
            return self._running_helper().result()
        except HelperFailedError as error:
            log.warning("signing ahead failed; signing the batch here", error=describe(error))
            self._stop_failed_helper()
            return None

    def _sign_ahead(self, position: RecordPosition) -> None:
        events, after = self._reader.read(position)
        work = self._reader.to_sign(events)
        signing = work is not None and self.helper_ready()
        if signing and work is not None:
            try:
                self._running_helper().submit(*work)
            except HelperFailedError as error:
                log.warning("the signing helper is gone; signing here", error=describe(error))
                self._stop_failed_helper()
                signing = False
        self._ahead = _Ahead(position, events, after, signing)

    def _drop_ahead(self) -> None:
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead.signing:
            self._signed()

    def _running_helper(self) -> _Helper:
        if self._helper is None:
            raise HelperFailedError("the helper process is gone")
        return self._helper

    def _stop_failed_helper(self) -> None:
        if self._helper is not None:
            self._helper.stop()
            self._helper = None
        self._failed_at = time.monotonic()


class _Helper:
    """The helper process and the relay's end of the pipe to it."""

    def __init__(self, open_signer: OpenSigner) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, theirs = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(theirs, open_signer), name="relay-signer", daemon=True
        )
        self._process.start()
        theirs.close()
        self._ready = False

    def ready(self) -> bool:
        """Whether the helper has opened its signer (it says so once, first)."""
        if not self._ready and self._pipe.poll(0):
            self._ready = self._receive() == _READY
        return self._ready

    @property
    def pid(self) -> int | None:
        """The helper's process id."""
        return self._process.pid

    def submit(self, frontier: Frontier, leaf_hashes: list[bytes]) -> None:
        """Ask for the leaves signed on from ``frontier`` (one request at a time)."""
        try:
            self._pipe.send((frontier, leaf_hashes))
        except OSError as error:
            raise HelperFailedError(describe(error)) from error

    def result(self) -> SignedLeaves:
        """The answer to the request sent last."""
        reply = self._receive()
        if not isinstance(reply, SignedLeaves):
            raise HelperFailedError(f"unexpected answer {reply!r:.200}")
        return reply

    def _receive(self) -> object:
        try:
            if not self._pipe.poll(_REPLY_WITHIN):
                raise HelperFailedError(f"no answer within {_REPLY_WITHIN:.0f} s")
            reply = self._pipe.recv()
        except (OSError, EOFError) as error:
            raise HelperFailedError(describe(error)) from error
        if isinstance(reply, Failure):
            raise HelperFailedError(reply.error)
        return reply

    def stop(self) -> None:
        """Close the pipe (the helper ends when it reads its end) and make sure it has."""
        self._pipe.close()
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)


def _serve(pipe: Connection, open_signer: OpenSigner) -> None:
    """In the helper: say it is ready, then sign each request until the relay closes the pipe.

    Interrupts are left to the relay, which stops the helper; a pipe closed
    or reset by the relay going away ends the helper quietly. What fails is
    answered with what went wrong, as text (not every exception crosses a
    pipe).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        signer = open_signer()
    except Exception as error:
        pipe.send(Failure(describe(error)))
        return
    pipe.send(_READY)
    while True:
        try:
            frontier, leaf_hashes = pipe.recv()
        except (EOFError, OSError):
            return
        try:
            reply: SignedLeaves | Failure = signer.sign(frontier, leaf_hashes)
        except Exception as error:
            reply = Failure(describe(error))
        pipe.send(reply)
