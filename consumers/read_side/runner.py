"""The projection runner: applies the events topic to the read models, exactly once.

A thin loop: poll a batch, decode it (refused records go to the dead-letter
topic first), and hand it to the store, which applies it and saves the
offsets after it in one transaction. Offsets live in the read-model
database, so on every partition assignment the runner seeks to where its
own writes say it got to; Kafka's committed offsets are only a courtesy for
monitoring tools.

Transient faults (the read-model database or the broker lost, see
``consumers.parts.resilience``) never stop the runner: the batch in hand is given
back (the consumer seeks to its first record), the runner backs off and
tries again, so nothing is skipped and a batch applied twice is recognised
by sequence. A record that fails a check is dead-lettered and never
applied: malformed or unsigned (before the batch is applied), contradicting
the record taken at its sequence (before the batch commits), or refused by
the trail as altered or forged (once the trail reaches it). A record the
read models are not ready for (a gap in a partner's versions), or a chain
head that stands still while records wait, means the consumer skipped
records or stopped fetching; what the runner does then is decided by the
small state machine in ``consumers.read_side.recovery`` (re-read from the
start, replace the consumer, or give up).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import structlog
from kafka import ConsumerRebalanceListener
from kafka.errors import KafkaError

from consumers.messaging.dead_letters import DeadLetters, Refused
from consumers.messaging.kafka_types import ConsumedRecord, GroupConsumer, Partition, Polled
from consumers.parts.health import DEGRADED, RUNNING, PartHealth
from consumers.parts.resilience import TRANSIENT, Backoff, describe
from consumers.read_side.metrics import RunnerMetrics
from consumers.read_side.recovery import Action, Recovery, lost_partitions
from projections.current_partners import ProjectionError
from projections.storage.store import ReadModelStore
from projections.storage.writer import Applied, ModelsRebuiltError
from registry.record.log_verification import header_problem, signature_starts
from registry.record.messages import MalformedMessageError, PublishedEvent, decode_event
from registry.record.note import NoteError, Verifier, open_note

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RunnerOptions:
    """What to consume and how often to report."""

    topic: str
    group: str
    max_records: int = 2000
    batch_records: int = 20_000
    report_every: float = 5.0
    stall_timeout: float = 30.0


class _SeekToSaved(ConsumerRebalanceListener):  # type: ignore[misc]
    """On assignment, continue from the offsets saved with the read models."""

    def __init__(self, runner: ProjectionRunner) -> None:
        self._runner = runner

    def on_partitions_revoked(self, revoked: set[Partition]) -> None:
        """Nothing to flush: every applied batch is already committed."""

    def on_partitions_assigned(self, assigned: set[Partition]) -> None:
        """Seek each new partition to its saved offset."""
        self._runner.assigned(list(assigned))


class ProjectionRunner:
    """Consumes partner events into the read models until stopped."""

    def __init__(
        self,
        store: ReadModelStore,
        new_consumer: Callable[[], GroupConsumer],
        dead_letters: DeadLetters,
        options: RunnerOptions,
        metrics: RunnerMetrics,
        health: PartHealth | None = None,
        verifiers: Callable[[], list[Verifier]] = list,
    ) -> None:
        self._store = store
        self._verifiers = verifiers
        self._refused = 0
        self._refused_summary = ""
        self._stuck = ""
        self._new_consumer = new_consumer
        self._consumer = new_consumer()
        self._health = health
        self._backoff = Backoff()
        self._resume_pending: list[Partition] | None = None
        self._from_start = False
        self._dead_letters = dead_letters
        self._options = options
        self.metrics = metrics
        self._generation = 0
        self._recovery = Recovery(options.stall_timeout)
        self._next_report = 0.0
        self._after_broker_fault = False
        self._log = log.bind(topic=options.topic, group=options.group)

    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop`` is set; a fatal fault is logged and raised."""
        try:
            while not stop.is_set():
                self._step_or_wait(stop)
        except Exception as error:
            self._log.error("projection stopped", error=describe(error))
            raise
        finally:
            self._consumer.close()
            self._dead_letters.close()

    def _step_or_wait(self, stop: threading.Event) -> None:
        """One step; a transient fault is logged and waited out with a growing delay."""
        try:
            if self._generation == 0:
                self._generation = self._store.generation()
                self._subscribe()
            self.step()
        except TRANSIENT as error:
            self._after_broker_fault |= isinstance(error, KafkaError)
            delay = self._backoff.next_delay()
            self._log.warning(
                "projection waiting out a fault", error=describe(error),
                attempt=self._backoff.failures, retry_in_seconds=round(delay, 2),
            )  # fmt: skip
            self._beat("waiting", describe(error))
            stop.wait(delay)
            return
        self._backoff.reset()
        if self._refused or self._stuck:
            self._beat(DEGRADED, "; ".join(filter(None, (self._stuck, self._refused_summary))))
        else:
            self._beat(RUNNING)

    def _beat(self, state: str, detail: str = "") -> None:
        if self._health is not None:
            self._health.beat(state, detail)

    def step(self) -> Applied | None:
        """Poll once and apply what arrived."""
        if self._resume_pending is not None:
            self.resume_from_saved(self._resume_pending)
            self._resume_pending = None
        polled = self._consumer.poll(timeout_ms=500, max_records=self._poll_records)
        if time.monotonic() >= self._next_report:
            self._report()
        if not polled:
            return None
        return self._handle(self._gather(polled))

    def _gather(self, polled: Polled) -> Polled:
        """While a backlog is read, several polls make one batch.

        A partition's records come in runs (Tansu answers a fetch with one
        partition's, up to 5 MB), while the trail runs in sequence across
        the partitions: an event whose predecessor is in another partition's
        run waits in the trail's table, to be read back and checked when that
        run arrives. A batch that spans the runs joins most events to the
        trail from memory. Caught up, a poll holds everything there is, so
        nothing waits for more.
        """
        batch = {tp: list(records) for tp, records in polled.items()}
        count = sum(len(records) for records in batch.values())
        while count < self._options.batch_records and self._behind():
            more = self._consumer.poll(timeout_ms=500, max_records=self._poll_records)
            if not more:
                break
            for tp, records in more.items():
                batch.setdefault(tp, []).extend(records)
                count += len(records)
        return batch

    @property
    def _poll_records(self) -> int:
        return min(self._options.max_records, self._options.batch_records)

    def _behind(self) -> bool:
        """Whether a partition may hold more than was taken (its end unknown until fetched)."""
        for tp in self._consumer.assignment():
            end = self._consumer.highwater(tp)
            if end is None or self._consumer.position(tp) < end:
                return True
        return False

    def assigned(self, partitions: list[Partition]) -> None:
        """Resume new partitions from the saved offsets, or as soon as they can be read.

        Until then the consumer reads from Kafka's committed offsets, which
        are never ahead of the saved ones (they are committed after the read
        models), so what it reads meanwhile is applied or recognised as seen.
        """
        try:
            self.resume_from_saved(partitions)
        except TRANSIENT as error:
            self._resume_pending = partitions
            self._log.warning("saved offsets unreadable; seeking before the next poll",
                              error=describe(error))  # fmt: skip

    def resume_from_saved(self, partitions: Sequence[Partition]) -> None:
        """Seek partitions to the offsets saved with the read models (or the start).

        A replaced consumer reads its partitions from the start instead: the
        saved offsets may belong to a topic the broker has since lost.
        """
        saved = {} if self._from_start else self._store.offsets(self._options.topic)
        self._from_start = False
        for tp in partitions:
            if tp.partition in saved:
                self._consumer.seek(tp, saved[tp.partition])
            else:
                self._consumer.seek_to_beginning(tp)
        self._log.info("partitions assigned", partitions=sorted(tp.partition for tp in partitions))

    def _handle(self, polled: Polled) -> Applied | None:
        verifiers = self._verifiers()
        if not verifiers:
            self._seek_back(polled)
            raise NoVerifierKeyError(
                "no key to verify the log's signed checkpoints with: set LOG_VKEYS "
                "(GET /log/vkey) or give the runner the relay's SIGNING_KEY_FILE"
            )
        decoded = _decode(polled, signature_starts(verifiers))
        try:
            if decoded.refused:
                self._refuse(decoded.refused)
            applied = self._store.apply(
                decoded.events, decoded.offsets, self._generation,
                partial(_signed, verifiers), partial(self._refuse_conflicting, decoded),
            )  # fmt: skip
        except TRANSIENT:
            self._seek_back(polled)
            raise
        except ModelsRebuiltError:
            self._generation = self._store.generation()
            self._log.info("read models were rebuilt; resuming from their offsets")
            self.resume_from_saved(list(self._consumer.assignment()))
            return None
        except ProjectionError as error:
            self._rewind(f"a partner's events do not follow on ({error})")
            return None
        if applied.new:
            self._stuck = ""
        if applied.broken is not None:
            self._dead_letter_broken(decoded, applied.broken, applied.broken_reason)
        self._consumer.commit_async()
        refused = len(decoded.refused) + len(applied.conflicting)
        self.metrics.applied(applied, refused=refused)
        self._log.info(
            "applied", new=applied.new, duplicates=applied.duplicates, waited=applied.waited,
            dead_lettered=refused, chain_head=applied.chain_head.sequence,
        )  # fmt: skip
        return applied

    def _refuse(self, refused: Sequence[Refused]) -> None:
        """Dead-letter records, and say so in the health beats."""
        self._dead_letters.send(refused)
        self._note_refused(refused)

    def _refuse_conflicting(self, decoded: Decoded, indexes: Sequence[int]) -> None:
        """Dead-letter the events that contradict the record taken at their sequence."""
        self._refuse([
            (decoded.sources[i], MalformedMessageError(
                "conflict", f"sequence {decoded.events[i].sequence} differs from the record "
                "already taken at that sequence"))
            for i in indexes
        ])  # fmt: skip

    def _dead_letter_broken(self, decoded: Decoded, sequence: int, reason: str) -> None:
        """Dead-letter the record the trail refused, if it came in this batch."""
        why = {
            "chain_break": "its hash does not follow from the trail before it",
            "altered": "the log's signed tree does not end in it as received",
            "forged": "its checkpoint is not signed by a trusted log key",
        }[reason]
        error = MalformedMessageError(
            reason, f"sequence {sequence}: {why} (the record was altered); it was not kept"
        )
        self._log.warning("refused an altered record", sequence=sequence, reason=reason)
        broken = [(decoded.sources[i], error) for i, e in enumerate(decoded.events)
                  if e.sequence == sequence]  # fmt: skip
        if broken:
            self._refuse(broken)

    def _note_refused(self, refused: Sequence[Refused]) -> None:
        """Remember, for the health beats, that records were refused (until restarted)."""
        self._refused += len(refused)
        _, last = refused[-1]
        self._refused_summary = (
            f"{self._refused} records refused and dead-lettered since start; "
            f"the latest: {last.reason}: {last.detail}"
        )

    def _seek_back(self, polled: Polled) -> None:
        """Give the batch back: the next poll starts again at its first record."""
        for tp, records in polled.items():
            self._consumer.seek(tp, records[0].offset)

    def _rewind(self, why: str) -> None:
        """A gap: re-read from the start; if that was tried at this head, say so and go on.

        The verified trail stands still until the records that follow it
        arrive (the stall watch re-reads each period); everything verified
        so far goes on being served, and the health beats say degraded.
        """
        head = self._store.chain_head().sequence
        if self._recovery.gap(head) is Action.GIVE_UP:
            self._stuck = (f"applying stopped after sequence {head}: {why}, even after "
                           "re-reading the topic from the start")  # fmt: skip
            self._log.error("records the read models need are missing or contradict them",
                            chain_head=head, why=why)  # fmt: skip
            return
        self._reread(why)

    def _reread(self, why: str) -> None:
        self._log.warning("re-reading assigned partitions from the start", why=why)
        self._consumer.seek_to_beginning(*self._consumer.assignment())

    def _subscribe(self) -> None:
        self._consumer.subscribe([self._options.topic], listener=_SeekToSaved(self))

    def _reconnect(self) -> None:
        """A new consumer, joining the group afresh and reading from the start.

        After the broker was replaced by an empty one, kafka-python's
        consumer sometimes never fetched again, even after a seek; and a
        broker that creates topics when asked (Tansu does, whatever the
        client says) can have given the events topic another partition
        count, so that the saved offsets point past records never read.
        What is read again is recognised by sequence and applied once.
        """
        self._consumer.close(autocommit=False)
        self._consumer = self._new_consumer()
        self._from_start = True
        self._subscribe()

    def _report(self) -> None:
        self._next_report = time.monotonic() + self._options.report_every
        assigned = list(self._consumer.assignment())
        if not assigned:
            return
        listed = self._consumer.end_offsets(assigned)
        ends = {tp: max(listed[tp], self._consumer.highwater(tp) or 0) for tp in assigned}
        positions = {tp: self._consumer.position(tp) for tp in assigned}
        after_fault, self._after_broker_fault = self._after_broker_fault, False
        lost = lost_partitions(positions, listed, ends, after_broker_fault=after_fault)
        if lost and after_fault:
            self._log.warning("the broker came back without records we had read; reconnecting",
                              partitions=sorted(tp.partition for tp in lost))  # fmt: skip
            self._reconnect()
            return
        self._reread_shrunk(lost)
        lag = {tp.partition: max(ends[tp] - positions[tp], 0) for tp in assigned}
        head = self._store.chain_head()
        self._store.save_end_offsets(
            self._options.topic, {tp.partition: ends[tp] for tp in assigned}
        )
        self.metrics.lag(lag, head.sequence)
        self._log.info("projection lag", lag=lag, chain_head=head.sequence)
        self._watch_chain(head.sequence, behind=any(lag.values()))

    def _reread_shrunk(self, shrunk: list[Partition]) -> None:
        """Partitions that end before where we stand were lost and re-filled: read them again.

        A broker replaced by an empty one is refilled by the relay from
        sequence 1, at offsets below those already read; without this the
        lag would count as zero and nothing would fetch the new records.
        """
        if shrunk:
            self._log.warning("partitions end before our position; re-reading them",
                              partitions=sorted(tp.partition for tp in shrunk))  # fmt: skip
            self._consumer.seek_to_beginning(*shrunk)

    def _watch_chain(self, head: int, *, behind: bool) -> None:
        """Tell the recovery state machine where the head stands; act on its answer."""
        waiting = behind or self._store.has_entries_after(head)
        action = self._recovery.watch(head, work_waiting=waiting, now=time.monotonic())
        why = f"the chain head has stood at {head} with records waiting"
        if action is Action.REREAD:
            self._reread(why)
        elif action is Action.RECONNECT:
            self._log.error("no progress even re-reading from the start; reconnecting", why=why)
            self._reconnect()


@dataclass(frozen=True)
class Decoded:
    """A poll's records: the events taken (with the records they came from), the refused."""

    events: list[PublishedEvent]
    sources: list[ConsumedRecord]
    refused: list[Refused]
    offsets: dict[tuple[str, int], int]


def _decode(polled: Polled, signers: tuple[str, ...]) -> Decoded:
    """The readable, signed records; the rest refused with their reason.

    A record is taken only if it carries a checkpoint of the tree it ends,
    signed in the name of a trusted key (``signers``, from
    ``signature_starts``): nothing unsigned reaches the read models,
    whoever could write to the topic. The signatures themselves are
    verified as the trail grows (``_signed``), once for each extension.
    """
    events: list[PublishedEvent] = []
    sources: list[ConsumedRecord] = []
    refused: list[Refused] = []
    offsets: dict[tuple[str, int], int] = {}
    for tp, records in polled.items():
        for record in records:
            try:
                event = decode_event(record.key, record.value, record.headers)
            except MalformedMessageError as error:
                refused.append((record, error))
                continue
            problem = header_problem(event, signers)
            if problem is None:
                events.append(event)
                sources.append(record)
            else:
                refused.append((record, MalformedMessageError(*problem)))
        offsets[(tp.topic, tp.partition)] = records[-1].offset + 1
    return Decoded(events, sources, refused, offsets)


def _signed(verifiers: list[Verifier], checkpoint: str) -> bool:
    """Whether a trusted log key signed the checkpoint."""
    try:
        open_note(checkpoint, verifiers)
    except NoteError:
        return False
    return True


class NoVerifierKeyError(OSError):
    """The runner has no key to check signatures with yet: it waits, applying nothing."""
