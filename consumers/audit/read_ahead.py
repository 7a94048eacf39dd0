"""Reading the events topic in a second process, so the client's parsing and the checks overlap.

kafka-python parses every record in Python: that is the raw consumer's
whole cost, and about as much again goes to the replay's own checks
(CloudEvents headers, JSON, schema, canonical form, chain, tree, fold). On
one core the two add up. Here a child process reads the partitions and
merges them into sequence order, and hands the records over raw (key,
value, headers) in batches through a pipe; this process decodes and checks
every one of them exactly as with the in-process reader. The two run side by
side on two cores, and the pipe's buffer bounds what waits between them, so
memory stays flat however long the topic.

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
import subprocess
import sys
from collections.abc import Iterator
from functools import partial
from typing import IO, cast

from kafka.errors import KafkaError

from consumers.audit.reader import Located, located, merged_records
from consumers.messaging.broker import BrokerUnavailableError, new_reader
from registry.config import Settings

# Records per hand-over: large enough that the pipe's cost per record is a
# microsecond or two, small enough to keep what waits in the pipe small.
BATCH = 256
# What may wait in the pipe between the two: about four batches. 1 MiB is
# Linux's default ceiling for an unprivileged process (/proc/sys/fs/pipe-max-size).
PIPE_BYTES = 1 << 20

Raw = tuple[int, int, bytes | None, bytes | None, list[tuple[str, bytes | None]]]


class ReadAheadError(RuntimeError):
    """The reading process failed; its error, as it said it."""


def merged_events_ahead(settings: Settings, topic: str) -> Iterator[Located]:
    """The topic's events in sequence order, read by a child process, decoded here."""
    child = subprocess.Popen(  # noqa: S603 - this interpreter, this module
        [sys.executable, "-m", __name__, topic], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    sending, receiving = cast(IO[bytes], child.stdin), cast(IO[bytes], child.stdout)
    _widen(receiving)
    try:
        pickle.dump(settings, sending)
        sending.close()
        yield from _received(receiving)
    finally:
        receiving.close()
        if child.poll() is None:
            child.terminate()
        child.wait()


def _widen(pipe: IO[bytes]) -> None:
    """Let the pipe hold about a thousand records, so the child reads on while we check.

    A pipe holds 64 KiB by default, a quarter of one batch: the child then
    waited for every batch to be taken, and the two processes took turns
    (each about half busy) instead of working side by side. Where the pipe
    cannot be widened (not Linux, or above the system's limit) it stays as it is.
    """
    with contextlib.suppress(AttributeError, OSError):
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _received(stream: IO[bytes]) -> Iterator[Located]:
    while True:
        try:
            batch = pickle.load(stream)  # noqa: S301 - written by our own child, above
        except EOFError:
            raise ReadAheadError("the reading process ended without finishing") from None
        if batch is None:
            return
        if isinstance(batch, tuple):
            kind, message = batch
            raise (BrokerUnavailableError if kind == "unavailable" else ReadAheadError)(message)
        for partition, offset, key, value, headers in batch:
            yield located(partition, offset, key, value, headers)


def read(settings: Settings, topic: str, out: IO[bytes]) -> None:
    """Every record of the topic in sequence order, raw, in pickled batches; then None."""
    try:
        batch: list[Raw] = []
        for partition, record in merged_records(partial(new_reader, settings), topic):
            batch.append((partition, record.offset, record.key, record.value, record.headers))
            if len(batch) >= BATCH:
                pickle.dump(batch, out, protocol=pickle.HIGHEST_PROTOCOL)
                batch = []
        pickle.dump(batch, out, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(None, out)
    except Exception as error:  # handed to the parent, which raises it
        kind = "unavailable" if isinstance(error, KafkaError | BrokerUnavailableError) else "failed"
        pickle.dump((kind, f"reading {topic} failed: {type(error).__name__}: {error}"), out)
    out.flush()


def _main() -> None:
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    settings = pickle.load(sys.stdin.buffer)  # noqa: S301 - written by the parent
    read(settings, sys.argv[1], out)
    out.close()


if __name__ == "__main__":
    _main()
