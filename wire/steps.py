"""The steps of :func:`wire.loop.run`, each a small function over an immutable :class:`Batch`.

poll (:class:`Intake`) -> :func:`decode_batch` (records -> articles and poison) -> handle
(:func:`process`, one batch ahead at most with a :class:`~wire.outcomes.Start`) -> :func:`finish`:
count the outcomes (in one place, :func:`count`), dead-letter the poison, commit the offsets.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from kafka import KafkaConsumer
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata, TopicPartition

from diplowire.wire.article import Article, InvalidMessage, decode
from diplowire.wire.backoff import Backoff
from diplowire.wire.outcomes import Outcome, Poison, Start, TransientError, WorkerStopped
from diplowire.wire.settings import LoopSettings

if TYPE_CHECKING:
    from diplowire.wire.loop import DeadLetters, Handler, Stats, StopFlag
    from diplowire.wire.observe import Observer

log = logging.getLogger(__name__)
OUTAGE = "no_outage"
"""The readiness condition that is false while the loop is paused waiting out an outage."""


@dataclass(slots=True)
class Run:
    """What the steps of one :func:`wire.loop.run` share: collaborators, the dead-letter streak."""

    consumer: KafkaConsumer
    handle: Handler
    dead_letters: DeadLetters
    settings: LoopSettings
    stop: StopFlag
    stats: Stats
    on_batch: Callable[[Stats], None] | None
    streak: int = 0
    """Dead letters in a row, across batches (see ``max_consecutive_dead_letters``)."""
    observer: Observer | None = None
    """Metrics and readiness (wire/observe.py), fed by :func:`count` and the outage waits."""


@dataclass(slots=True)
class Intake:
    """Records polled for the next batch, and when they came."""

    records: list[Any] = field(default_factory=list)
    size: int = 0
    first_at: float = 0.0
    last_at: float = field(default_factory=time.monotonic)

    def add(self, polled: dict[TopicPartition, list[Any]]) -> None:
        for records in polled.values():
            if not self.records:
                self.first_at = time.monotonic()
            self.records.extend(records)
            self.size += sum(len(rec.value or b"") for rec in records)
        if polled:
            self.last_at = time.monotonic()

    def idle(self, settings: LoopSettings) -> bool:
        if not settings.idle_exit_ms or self.records:
            return False
        return (time.monotonic() - self.last_at) * 1000 >= settings.idle_exit_ms

    def full(self, settings: LoopSettings) -> bool:
        return (
            len(self.records) >= settings.batch_max_records
            or self.size >= settings.batch_max_bytes
            or (time.monotonic() - self.first_at) * 1000 >= settings.batch_max_wait_ms
        )

    def take(self) -> tuple[Any, ...]:
        taken = tuple(self.records)
        self.records, self.size = [], 0
        return taken


@dataclass(frozen=True, slots=True)
class Batch:
    """One batch as it goes through the steps; a step that learns something returns a new one."""

    records: tuple[Any, ...]
    outcomes: tuple[Outcome, ...]
    """One per record: its decode poison, or (once :meth:`settled`) the handler's outcome."""
    positions: tuple[int, ...]
    """Where in ``records`` each of ``articles`` came from."""
    articles: tuple[Article, ...]
    decoded_at: float = field(default_factory=time.monotonic)
    """When the batch was decoded: its duration metric runs from here to its commit."""

    def settled(self, results: Sequence[Outcome]) -> Batch:
        """The batch with the handler's outcomes (one per article, in order) in place."""
        if len(results) != len(self.articles):
            raise WorkerStopped("handler returned a wrong number of outcomes")
        outcomes = list(self.outcomes)
        for i, res in zip(self.positions, results, strict=True):
            outcomes[i] = res
        return replace(self, outcomes=tuple(outcomes))


@dataclass(frozen=True, slots=True)
class InFlight:
    batch: Batch
    future: Future[Sequence[Outcome]]


def decode_batch(records: tuple[Any, ...], max_message_bytes: int | None) -> Batch:
    outcomes: list[Outcome] = [None] * len(records)
    positions: list[int] = []
    articles: list[Article] = []
    for i, rec in enumerate(records):
        try:
            articles.append(decode(rec.value, max_bytes=max_message_bytes))
            positions.append(i)
        except InvalidMessage as exc:
            outcomes[i] = Poison(exc.kind, str(exc))
    return Batch(records, tuple(outcomes), tuple(positions), tuple(articles))


def process(r: Run, batch: Batch, inflight: InFlight | None) -> InFlight | None:
    """Hand ``batch`` to the handler after ``inflight``; returns the batch now in flight."""
    if inflight is None:
        _started(r, batch)
    result: Sequence[Outcome] | Start | TransientError = ()
    if batch.articles:
        try:
            result = r.handle(batch.articles)
        except TransientError as exc:
            result = exc
    previous = acknowledged(r, inflight)
    if inflight is not None:
        _started(r, batch)  # prepared ahead: it starts once the previous one is done
    if isinstance(result, Start):
        # Started before the previous batch's dead letters and commit: downstream is not left
        # waiting meanwhile.
        started = InFlight(batch, result.begin())
        finish(r, previous)
        return started
    finish(r, previous)
    if isinstance(result, TransientError):
        result = _retrying(r, batch.articles, result)
    finish(r, batch.settled(result))
    return None


def acknowledged(r: Run, inflight: InFlight | None) -> Batch | None:
    """Wait for the batch in flight, retrying it while it fails transiently."""
    if inflight is None:
        return None
    try:
        results = inflight.future.result()
    except TransientError as exc:
        results = _retrying(r, inflight.batch.articles, exc)
    return inflight.batch.settled(results)


def finish(r: Run, batch: Batch | None) -> None:
    """Count the batch's outcomes, dead-letter its poison, then commit: the batch is done."""
    if batch is None:
        return
    count(r, batch)
    _dead_letter(r.dead_letters, batch)
    _commit(r, batch)
    r.stats.batches += 1
    if r.observer is not None:
        r.observer.batch_done(
            batch.outcomes, batch.articles, batch.positions, time.monotonic() - batch.decoded_at
        )
        r.observer.refresh_lag(r.consumer)
    limit = r.settings.max_consecutive_dead_letters
    if limit and r.streak >= limit:
        raise WorkerStopped(
            f"{r.streak} consecutive dead letters (limit {limit}): stopping so a broken deploy "
            f"does not drain the topic; last error: {r.stats.last_error or batch.outcomes[-1]}"
        )
    if r.on_batch is not None:
        r.on_batch(r.stats)


def _started(r: Run, batch: Batch) -> None:
    r.stats.consumed += len(batch.records)
    if r.observer is not None:
        r.observer.batch_started(len(batch.records))


def count(r: Run, batch: Batch) -> None:
    """The one place that counts outcomes."""
    stats = r.stats
    for outcome in batch.outcomes:
        if outcome is None:
            stats.succeeded += 1
            r.streak = 0
        else:
            stats.dead_lettered += 1
            stats.by_reason[outcome.error] = stats.by_reason.get(outcome.error, 0) + 1
            r.streak += 1


def _dead_letter(dead_letters: DeadLetters, batch: Batch) -> None:
    futures = []
    for rec, outcome in zip(batch.records, batch.outcomes, strict=True):
        if outcome is None:
            continue
        log.warning(
            "dead letter %s[%d]@%d: %s: %s",
            rec.topic,
            rec.partition,
            rec.offset,
            outcome.error,
            outcome.cause[:300],
            # Fields of a JSON log line (wire/logs.py); a plain-text line ignores them.
            extra={
                "stage": dead_letters.stage,
                "article_id": rec.key.decode("utf-8", "replace") if rec.key else None,
                "error": outcome.error,
            },
        )
        source = (rec.topic, rec.partition, rec.offset)
        futures.append(dead_letters.send(rec.key, rec.value, outcome, source))
    if futures:
        dead_letters.flush(futures)


def _offsets(records: Sequence[Any]) -> dict[TopicPartition, OffsetAndMetadata]:
    offsets: dict[TopicPartition, OffsetAndMetadata] = {}
    for rec in records:
        tp = TopicPartition(rec.topic, rec.partition)
        nxt = rec.offset + 1
        if tp not in offsets or offsets[tp].offset < nxt:
            offsets[tp] = OffsetAndMetadata(nxt, "", -1)
    return offsets


def _commit(r: Run, batch: Batch) -> None:
    """Commit the batch's offsets; a broker that is away (retriable error) is waited for.

    The same commit is retried rather than the batch re-read: its effects downstream are
    acknowledged (and idempotent), only the offsets are missing. A rebalance meanwhile makes the
    commit fail for good (:class:`CommitFailedError`): the new owner re-reads the batch. Stopping
    while the broker is away leaves the offsets uncommitted: the batch is re-read after the
    restart.
    """
    offsets = _offsets(batch.records)
    delays = _backoff(r.settings, cap_s=COMMIT_BACKOFF_MAX_S).delays()
    attempt = 0
    with _Hold(r.consumer, r.stop, r.observer) as hold:
        while True:
            try:
                r.consumer.commit(offsets, timeout_ms=r.settings.commit_timeout_ms)
            except CommitFailedError as exc:
                log.warning("offset commit failed after a rebalance (will be re-read): %s", exc)
                return
            except KafkaError as exc:
                if not exc.retriable:
                    raise
                attempt += 1
                r.stats.commit_retries += 1
                if r.settings.retry_max_attempts and attempt >= r.settings.retry_max_attempts:
                    raise WorkerStopped(
                        f"offset commit gave up after {attempt} attempts: {exc}"
                    ) from exc
                if r.stop.is_set():
                    log.warning(
                        "stopping with the offsets of %d records not committed (re-read after "
                        "the restart): %s",
                        len(batch.records),
                        exc,
                    )
                    return
                delay = next(delays)
                log.warning(
                    "offset commit failed (attempt %d, next in %d ms): %s",
                    attempt,
                    delay * 1000,
                    exc,
                )
                hold.wait(delay)
                continue
            r.stats.committed += len(batch.records)
            return


def _retrying(r: Run, articles: Sequence[Article], failed: TransientError) -> Sequence[Outcome]:
    """``handle(articles)`` again until it does not raise :class:`TransientError`.

    ``failed``: what the first attempt (perhaps in the handler's thread) raised.
    """
    settings, stats = r.settings, r.stats
    delays = _backoff(settings).delays()
    attempt = 0
    with _Hold(r.consumer, r.stop, r.observer) as hold:
        while True:
            attempt += 1
            stats.retries += 1
            stats.last_error = str(failed)
            if settings.retry_max_attempts and attempt >= settings.retry_max_attempts:
                raise WorkerStopped(f"gave up after {attempt} attempts: {failed}") from failed
            if r.stop.is_set():
                # Nothing of this batch is committed: it is re-read after the restart.
                raise WorkerStopped(f"stopping with a batch not delivered: {failed}") from failed
            delay = next(delays)
            log.warning(
                "downstream unavailable (attempt %d, next in %d ms): %s",
                attempt,
                delay * 1000,
                failed,
            )
            hold.wait(delay)
            try:
                result = r.handle(articles)
                return result.begin().result() if isinstance(result, Start) else result
            except TransientError as exc:
                failed = exc


COMMIT_BACKOFF_MAX_S = 2.0
"""The longest wait between two offset-commit attempts. A commit is one small request and each
attempt is already bounded by ``commit_timeout_ms``; waiting up to ``retry_max_ms`` (30 s) left a
worker idle for that long after the broker came back, with its batch done but held."""


def _backoff(settings: LoopSettings, cap_s: float | None = None) -> Backoff:
    initial_s = settings.retry_initial_ms / 1000
    max_s = (
        settings.retry_max_ms / 1000 if cap_s is None else min(settings.retry_max_ms / 1000, cap_s)
    )
    return Backoff(initial_s=initial_s, max_s=max(max_s, initial_s))


@dataclass(slots=True)
class _Hold:
    """The waits between attempts. The first one pauses consumption, rather than buffering:
    polls keep the group membership alive and fetch nothing new; leaving resumes it. Only then:
    a batch whose first attempt succeeds does not touch the consumer's pause state."""

    consumer: KafkaConsumer
    stop: StopFlag
    observer: Observer | None = None
    paused: bool = False

    def __enter__(self) -> _Hold:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.paused:
            self.consumer.resume(*self.consumer.paused())
            if self.observer is not None:
                self.observer.condition(OUTAGE, True)

    def wait(self, seconds: float) -> None:
        if not self.paused:
            self.consumer.pause(*self.consumer.assignment())
            self.paused = True
            if self.observer is not None:
                # Paused on an outage: not ready (a load balancer or operator should know).
                self.observer.condition(OUTAGE, False)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.stop.is_set():
            self.consumer.poll(timeout_ms=max(1, min(200, int(seconds * 1000))))
            if self.observer is not None:  # paused: lag grows now, the gauge must show it
                self.observer.refresh_lag(self.consumer)
