"""Reading the events topic in a second process, so the client's parsing and the checks overlap.

kafka-python parses every record in Python: that is the raw consumer's
whole cost, and about as much again goes to the replay's own checks
(CloudEvents headers, JSON, schema, canonical form, chain, tree, fold). On
one core the two add up. Here a child process reads the partitions, merges
them into sequence order and checks each record's headers (the envelope);
it hands over in batches through a pipe the envelope and the value, or why
the record is unreadable, and this process checks the value against its
schema and its headers, exactly as the in-process reader does, then
replays it. The work is split where the hand-over is cheapest: a record's
twelve headers cost three times as much to pass through a pipe as the
tuple that says what they hold. The two run side by side on two cores, and
the pipe's buffer bounds what waits between them, so memory stays flat
however long the topic.

The child is a plain ``python -m consumers.audit.read_ahead``, given the
settings on its standard input and writing pickled batches to its standard
output (anything else it prints goes to standard error): it does not depend
on how the parent was started, as multiprocessing's spawn does.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Generator, Iterator
from functools import partial
from typing import IO, Any, cast

from kafka.errors import KafkaError

from consumers.audit.reader import Located, Unreadable, merged_records, place
from consumers.messaging.broker import BrokerUnavailableError, new_reader
from consumers.parts import heap
from registry.config import Settings
from registry.record.messages import (
    Envelope,
    MalformedMessageError,
    open_envelope,
    read_envelope,
)

# Records per hand-over: large enough that the pipe's cost per record is a
# microsecond or two, small enough to keep what waits in the pipe small.
BATCH = 256
# What may wait in the pipe between the two: about four batches. 1 MiB is
# Linux's default ceiling for an unprivileged process (/proc/sys/fs/pipe-max-size).
PIPE_BYTES = 1 << 20
# Batches taken off the pipe ahead of the checks: about 8,000 records, ten megabytes.
AHEAD = 32

Handed = tuple[str, Envelope | str, bytes | None]
"""Where a record was, then its checked headers and its value, or why it is unreadable."""


class ReadAheadError(RuntimeError):
    """The reading process failed; its error, as it said it."""


def merged_events_ahead(settings: Settings, topic: str) -> Generator[Located, None, None]:
    """The topic's events in sequence order, read by a child process, decoded here."""
    child = subprocess.Popen(  # noqa: S603 - this interpreter, this module
        [sys.executable, "-m", __name__, topic], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    sending, receiving = cast(IO[bytes], child.stdin), cast(IO[bytes], child.stdout)
    _widen(receiving)
    batches: queue.Queue[Any] = queue.Queue(maxsize=AHEAD)
    stop = threading.Event()
    taker = threading.Thread(target=_take, args=(receiving, batches, stop), daemon=True)
    try:
        pickle.dump(settings, sending)
        sending.close()
        taker.start()
        while (batch := batches.get()) is not None:
            yield from _batch(batch)
    finally:
        stop.set()
        if child.poll() is None:
            child.terminate()
        child.wait()
        if taker.is_alive():
            taker.join()
        receiving.close()


def _widen(pipe: IO[bytes]) -> None:
    """Let the pipe hold about a thousand records, so the child reads on while we check.

    A pipe holds 64 KiB by default, a quarter of one batch: the child then
    waited for every batch to be taken, and the two processes took turns
    (each about half busy) instead of working side by side. Where the pipe
    cannot be widened (not Linux, or above the system's limit) it stays as it is.
    """
    with contextlib.suppress(AttributeError, OSError):
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _take(stream: IO[bytes], batches: queue.Queue[Any], stop: threading.Event) -> None:
    """Move the child's batches into the queue until the last, an error or ``stop``.

    The pipe alone holds about a thousand records, a few milliseconds of
    checks: each time the child waited for a fetch, this process ran dry,
    and each time this process lingered, the child stopped reading (both
    were a quarter idle). This thread takes the batches off the pipe as they
    come (it waits on the pipe without holding the interpreter), so the two
    run ahead of each other by up to AHEAD batches.
    """
    while not stop.is_set():
        try:
            batch = pickle.load(stream)  # noqa: S301 - written by our own child, above
        except (EOFError, OSError, ValueError):
            batch = ("failed", "the reading process ended without finishing")
        while not stop.is_set():
            with contextlib.suppress(queue.Full):
                batches.put(batch, timeout=0.1)
                break
        if batch is None or isinstance(batch, tuple):
            return


def _batch(batch: list[Handed] | tuple[str, str]) -> Iterator[Located]:
    if isinstance(batch, tuple):
        kind, message = batch
        raise (BrokerUnavailableError if kind == "unavailable" else ReadAheadError)(message)
    for where, said, value in batch:
        yield _opened(where, said, value)


def _opened(where: str, said: Envelope | str, value: bytes | None) -> Located:
    """The event the child's checked headers and the value make, or why it is unreadable."""
    if isinstance(said, str):
        return Located(Unreadable(where, said), where)
    try:
        return Located(open_envelope(said, value), where)
    except MalformedMessageError as error:
        return Located(Unreadable(where, str(error)), where)


def read(settings: Settings, topic: str, out: IO[bytes]) -> None:
    """The topic's records in sequence order, headers checked, in pickled batches; then None."""
    try:
        batch: list[Handed] = []
        for partition, record in merged_records(partial(new_reader, settings), topic):
            batch.append(_handed(partition, record))
            if len(batch) >= BATCH:
                pickle.dump(batch, out, protocol=pickle.HIGHEST_PROTOCOL)
                batch = []
        pickle.dump(batch, out, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(None, out)
    except Exception as error:  # handed to the parent, which raises it
        kind = "unavailable" if isinstance(error, KafkaError | BrokerUnavailableError) else "failed"
        pickle.dump((kind, f"reading {topic} failed: {type(error).__name__}: {error}"), out)
    out.flush()


def _handed(partition: int, record: Any) -> Handed:
    """A record's checked headers and its value, or why it is unreadable."""
    where = place(partition, record.offset)
    try:
        return where, read_envelope(record.key, record.headers), record.value
    except MalformedMessageError as error:
        return where, str(error), None


def _main() -> None:
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    settings = pickle.load(sys.stdin.buffer)  # noqa: S301 - written by the parent
    heap.settle()
    read(settings, sys.argv[1], out)
    out.close()


if __name__ == "__main__":
    _main()
