"""The Kafka consume/produce shell shared by the consuming workers.

A worker is a pure-ish ``handle(batch) -> outcomes`` function wrapped by :func:`run`, which owns
batching, decoding, dead letters, retries with backoff, offset commits and shutdown. Offsets are
committed only after ``handle`` returned, i.e. after the next stage acknowledged the batch, and
after every poison message of the batch sits in the dead-letter topic.
"""

from __future__ import annotations

import functools
import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import CommitFailedError
from kafka.structs import OffsetAndMetadata, TopicPartition

from diplowire.wire import kafka_compat
from diplowire.wire.article import Article, InvalidMessage, decode
from diplowire.wire.deadletters import DeadLetters
from diplowire.wire.outcomes import Outcome, Poison, TransientError, WorkerStopped
from diplowire.wire.publisher import Publisher
from diplowire.wire.settings import KafkaSettings, LoopSettings
from diplowire.wire.startup import wait_for_kafka

log = logging.getLogger(__name__)


Start = Callable[[], "Future[Sequence[Outcome]]"]
"""Starts a prepared batch's slow part on the handler's own thread (see :func:`run`)."""
Handler = Callable[[Sequence[Article]], "Sequence[Outcome] | Start"]
"""One outcome per article, in order; or a :data:`Start` that will give them."""


class StopFlag(threading.Event):
    """Set by SIGTERM/SIGINT or by a supervising thread; the loop drains, commits and returns."""


def install_signal_handlers(flag: StopFlag) -> None:
    if threading.current_thread() is not threading.main_thread():
        return

    def _handler(signum: int, _frame: Any) -> None:
        log.info("received %s: draining, committing and stopping", signal.Signals(signum).name)
        flag.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)


@dataclass
class Stats:
    consumed: int = 0
    """Records of the batches started (a batch prepared one ahead counts when it starts)."""
    succeeded: int = 0
    dead_lettered: int = 0
    batches: int = 0
    retries: int = 0
    committed: int = 0
    last_error: str = ""
    by_reason: dict[str, int] = field(default_factory=dict)


def make_producer(kafka: KafkaSettings, **overrides: Any) -> KafkaProducer:
    cfg: dict[str, Any] = {
        **kafka.client_config(),
        "acks": "all",
        # Idempotence keeps retried sends from duplicating within a partition.
        "enable_idempotence": True,
        "compression_type": "gzip",
        "linger_ms": 20,
        "max_request_size": kafka.max_message_bytes,
        "retries": 10,
    }
    cfg.update(overrides)
    return KafkaProducer(**cfg)


def make_consumer(
    kafka: KafkaSettings, loop: LoopSettings, group: str, topic: str, **overrides: Any
) -> KafkaConsumer:
    cfg: dict[str, Any] = {
        **kafka.client_config(),
        "group_id": group,
        "enable_auto_commit": False,
        "auto_offset_reset": loop.auto_offset_reset,
        "max_poll_records": loop.batch_max_records,
        # Bounded in-flight work: the fetch buffer cannot outgrow a couple of batches.
        "fetch_max_bytes": max(loop.batch_max_bytes, kafka.max_message_bytes),
        "max_partition_fetch_bytes": max(kafka.max_message_bytes, 1_048_576),
        "max_poll_interval_ms": 600_000,
        # Notice new topics and partitions within seconds rather than the 5-minute default.
        "metadata_max_age_ms": 10_000,
        # A crashed member holds its partitions until its session expires: 10 s rather than
        # kafka-python's 45 s (bench/README.md, "Take-over"). A clean close leaves the group.
        "session_timeout_ms": loop.session_timeout_ms,
        "heartbeat_interval_ms": loop.heartbeat_interval_ms,
    }
    if loop.group_instance_id:
        # Static member: its restart with the same id takes the partitions back at once; it
        # never leaves the group on close, so its partitions wait for the session timeout.
        cfg["group_instance_id"] = loop.group_instance_id
    cfg.update(overrides)
    _warn_without_crc32c()
    consumer = KafkaConsumer(**cfg)
    consumer.subscribe([topic])
    # Fetch metadata now, after subscribing and before the first poll joins the group: its
    # listener records the topic's partitions as the group's metadata snapshot. Otherwise, under
    # load, the join can happen first, the next refresh "changes" the snapshot and forces a
    # rebalance, and kafka-python 3.0 was seen to stall in that rebalance without recovering.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        consumer.topics()
        if consumer.partitions_for_topic(topic):
            break
        time.sleep(0.2)
    return consumer


@functools.cache
def _warn_without_crc32c() -> None:
    if not kafka_compat.crc32c_accelerated():
        log.warning(
            "the crc32c package is not installed: kafka-python checks record CRCs in pure "
            "Python, ~40%% of a consumer's CPU (pip install crc32c)"
        )


def run_stage(
    kafka: KafkaSettings,
    loop: LoopSettings,
    *,
    stage: str,
    source: str,
    handle: Handler,
    producer: KafkaProducer,
    stop: StopFlag,
    stats: Stats | None = None,
    on_batch: Callable[[Stats], None] | None = None,
) -> Stats:
    """A stage's shell: its consumer group on ``source``, dead letters through ``producer``.

    Waits for Kafka (see :mod:`wire.startup`); :class:`~wire.startup.StartupStopped` if ``stop``
    is set meanwhile.
    """
    consumer = wait_for_kafka(
        kafka,
        stop,
        lambda: make_consumer(kafka, loop, kafka.topics.group(stage), source),
        timeout_s=loop.startup_timeout_s,
        logger=log,
    )
    dead_letters = DeadLetters.through(Publisher(producer, kafka), kafka.topics.deadletter, stage)
    return run(
        consumer,
        handle,
        dead_letters,
        loop,
        stop,
        max_message_bytes=kafka.max_message_bytes,
        stats=stats,
        on_batch=on_batch,
    )


def run(
    consumer: KafkaConsumer,
    handle: Handler,
    dead_letters: DeadLetters,
    settings: LoopSettings,
    stop: StopFlag,
    *,
    max_message_bytes: int | None = None,
    stats: Stats | None = None,
    on_batch: Callable[[Stats], None] | None = None,
) -> Stats:
    """Consume until ``stop`` is set (or idle for ``idle_exit_ms``), then drain and commit.

    A handler may return a :data:`Start` instead of outcomes: it did the batch's CPU work and the
    callable starts the slow part (the request downstream) on a thread of its own. The loop then
    overlaps batches: while batch N is in flight it fetches, decodes and prepares batch N+1 (one
    batch ahead at most; nothing more is read meanwhile), starts N+1 as soon as N is
    acknowledged, then finishes N. Guarantees are a plain handler's: batches finish in order; a
    batch's offsets are committed only after its outcomes came back and its dead letters are
    written; a :class:`TransientError` retries that batch here (consumption paused) before any
    later batch starts. ``Stats.consumed`` counts a batch when it starts.
    """
    stats = stats if stats is not None else Stats()
    buffer: list[Any] = []
    buffered_bytes = 0
    first_at = 0.0
    last_record_at = time.monotonic()
    consecutive_dead = 0
    inflight: tuple[_Batch, Future[Sequence[Outcome]]] | None = None

    def finish(batch: _Batch, results: Sequence[Outcome]) -> None:
        nonlocal consecutive_dead
        _fill(batch, results)
        consecutive_dead = _finish(consumer, batch, dead_letters, settings, stats, consecutive_dead)
        if on_batch is not None:
            on_batch(stats)

    def acknowledged() -> tuple[_Batch, Sequence[Outcome]] | None:
        """Wait for the batch in flight, retrying it while it fails transiently."""
        nonlocal inflight
        if inflight is None:
            return None
        batch, future = inflight
        inflight = None
        try:
            return batch, future.result()
        except TransientError as exc:
            return batch, _retrying(consumer, handle, batch.articles, settings, stop, stats, exc)

    def settle() -> None:
        done = acknowledged()
        if done is not None:
            finish(*done)

    try:
        while True:
            stopping = stop.is_set()
            if not stopping and settings.idle_exit_ms and not buffer and inflight is None:
                idle_ms = (time.monotonic() - last_record_at) * 1000
                stopping = idle_ms >= settings.idle_exit_ms
            if not stopping:
                room = settings.batch_max_records - len(buffer)
                polled = consumer.poll(timeout_ms=100, max_records=max(room, 1))
                for records in polled.values():
                    if not buffer:
                        first_at = time.monotonic()
                    buffer.extend(records)
                    buffered_bytes += sum(len(r.value or b"") for r in records)
                if polled:
                    last_record_at = time.monotonic()
            if inflight is not None and (stopping or inflight[1].done()):
                settle()
            if not buffer:
                if stopping and inflight is None:
                    break
                continue
            waited_ms = (time.monotonic() - first_at) * 1000
            if not (
                stopping
                or len(buffer) >= settings.batch_max_records
                or buffered_bytes >= settings.batch_max_bytes
                or waited_ms >= settings.batch_max_wait_ms
            ):
                continue
            batch = _decode(buffer, max_message_bytes)
            buffer, buffered_bytes = [], 0
            ahead = inflight is not None  # prepared while the previous batch is in flight
            if not ahead:
                stats.consumed += len(batch.records)
            result: Sequence[Outcome] | Start = []
            if batch.articles:
                try:
                    result = handle(batch.articles)
                except TransientError as exc:
                    settle()
                    if ahead:
                        stats.consumed += len(batch.records)
                    result = _retrying(consumer, handle, batch.articles, settings, stop, stats, exc)
                    ahead = False
            if callable(result):
                done = acknowledged()
                if ahead:
                    stats.consumed += len(batch.records)
                # Started before the previous batch's commit: downstream is not left waiting.
                inflight = (batch, result())
                if done is not None:
                    finish(*done)
            else:
                settle()
                if ahead:
                    stats.consumed += len(batch.records)
                finish(batch, result)
    finally:
        consumer.close(autocommit=False)
    return stats


@dataclass(slots=True)
class _Batch:
    records: list[Any]
    outcomes: list[Outcome]
    valid_idx: list[int]
    articles: list[Article]


def _decode(records: list[Any], max_message_bytes: int | None) -> _Batch:
    outcomes: list[Outcome] = [None] * len(records)
    valid_idx: list[int] = []
    articles: list[Article] = []
    for i, rec in enumerate(records):
        try:
            articles.append(decode(rec.value, max_bytes=max_message_bytes))
            valid_idx.append(i)
        except InvalidMessage as exc:
            outcomes[i] = Poison(exc.kind, str(exc))
    return _Batch(records, outcomes, valid_idx, articles)


def _fill(batch: _Batch, results: Sequence[Outcome]) -> None:
    if len(results) != len(batch.articles):
        raise WorkerStopped("handler returned a wrong number of outcomes")
    for i, res in zip(batch.valid_idx, results, strict=True):
        batch.outcomes[i] = res


def _finish(
    consumer: KafkaConsumer,
    batch: _Batch,
    dead_letters: DeadLetters,
    settings: LoopSettings,
    stats: Stats,
    consecutive_dead: int,
) -> int:
    """Dead-letter the batch's poison, then commit its offsets: the batch is done."""
    records, outcomes = batch.records, batch.outcomes
    futures = []
    for rec, outcome in zip(records, outcomes, strict=True):
        if outcome is None:
            stats.succeeded += 1
            consecutive_dead = 0
            continue
        stats.dead_lettered += 1
        stats.by_reason[outcome.error] = stats.by_reason.get(outcome.error, 0) + 1
        consecutive_dead += 1
        log.warning(
            "dead letter %s[%d]@%d: %s: %s",
            rec.topic,
            rec.partition,
            rec.offset,
            outcome.error,
            outcome.cause[:300],
        )
        futures.append(
            dead_letters.send(rec.key, rec.value, outcome, (rec.topic, rec.partition, rec.offset))
        )
    if futures:
        dead_letters.flush(futures)

    offsets: dict[TopicPartition, OffsetAndMetadata] = {}
    for rec in records:
        tp = TopicPartition(rec.topic, rec.partition)
        nxt = rec.offset + 1
        if tp not in offsets or offsets[tp].offset < nxt:
            offsets[tp] = OffsetAndMetadata(nxt, "", -1)
    try:
        consumer.commit(offsets)
        stats.committed += len(records)
    except CommitFailedError as exc:
        # A rebalance took the partitions: the new owner re-reads them, and writes are idempotent.
        log.warning("offset commit failed after a rebalance (will be re-read): %s", exc)
    stats.batches += 1

    limit = settings.max_consecutive_dead_letters
    if limit and consecutive_dead >= limit:
        raise WorkerStopped(
            f"{consecutive_dead} consecutive dead letters (limit "
            f"{settings.max_consecutive_dead_letters}): stopping so a broken deploy does not "
            f"drain the topic; last error: {stats.last_error or outcomes[-1]}"
        )
    return consecutive_dead


def _retrying(
    consumer: KafkaConsumer,
    handle: Handler,
    articles: list[Article],
    settings: LoopSettings,
    stop: StopFlag,
    stats: Stats,
    failed: TransientError | None = None,
) -> Sequence[Outcome]:
    """``handle(articles)`` until it does not raise :class:`TransientError`.

    ``failed``: the first attempt already ran (perhaps in the handler's thread) and raised this.
    """
    attempt = 0
    paused = False
    delay_ms = settings.retry_initial_ms
    try:
        while True:
            try:
                if failed is not None:
                    first, failed = failed, None
                    raise first
                result = handle(articles)
                return result().result() if callable(result) else result
            except TransientError as exc:
                attempt += 1
                stats.retries += 1
                stats.last_error = str(exc)
                if settings.retry_max_attempts and attempt >= settings.retry_max_attempts:
                    raise WorkerStopped(f"gave up after {attempt} attempts: {exc}") from exc
                if stop.is_set():
                    # Nothing of this batch is committed: it is re-read after the restart.
                    raise WorkerStopped(f"stopping with a batch not delivered: {exc}") from exc
                log.warning(
                    "downstream unavailable (attempt %d, next in %d ms): %s", attempt, delay_ms, exc
                )
                if not paused:
                    # Pause rather than buffer: polls keep the group membership alive and
                    # fetch nothing new until downstream is back.
                    consumer.pause(*consumer.assignment())
                    paused = True
                deadline = time.monotonic() + delay_ms / 1000
                while time.monotonic() < deadline and not stop.is_set():
                    consumer.poll(timeout_ms=min(200, delay_ms))
                delay_ms = min(delay_ms * 2, settings.retry_max_ms)
    finally:
        if paused:
            consumer.resume(*consumer.paused())
