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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kafka import KafkaConsumer, KafkaProducer

from diplowire.wire import kafka_compat, steps
from diplowire.wire.article import Article
from diplowire.wire.deadletters import DeadLetters
from diplowire.wire.outcomes import MessageError as MessageError
from diplowire.wire.outcomes import Outcome as Outcome
from diplowire.wire.outcomes import Poison as Poison
from diplowire.wire.outcomes import Start as Start
from diplowire.wire.outcomes import TransientError as TransientError
from diplowire.wire.outcomes import WorkerStopped as WorkerStopped

# Re-exported: the workers and tests import the outcome types from here too.
from diplowire.wire.partitioning import Murmur2Partitioner
from diplowire.wire.publisher import Publisher
from diplowire.wire.settings import KafkaSettings, LoopSettings
from diplowire.wire.startup import wait_for_kafka

if TYPE_CHECKING:
    from diplowire.wire.observe import Observer

log = logging.getLogger(__name__)


Handler = Callable[[Sequence[Article]], Sequence[Outcome] | Start]
"""One outcome per article, in order; or a :class:`Start` that will give them."""


class StopFlag(threading.Event):
    """Set by SIGTERM/SIGINT or by a supervising thread; the loop drains, commits and returns."""


def install_signal_handlers(flag: StopFlag, *, announce: bool = True) -> None:
    """SIGTERM/SIGINT set ``flag``. The first one is logged, once: a second Ctrl-C, or the
    SIGTERM a supervisor forwards after the terminal's SIGINT, says nothing new. ``announce``
    False logs it at DEBUG only (a child whose supervisor already said it)."""
    if threading.current_thread() is not threading.main_thread():
        return

    def _handler(signum: int, _frame: Any) -> None:
        if not flag.is_set():
            log.log(
                logging.INFO if announce else logging.DEBUG,
                "received %s: draining, committing and stopping",
                signal.Signals(signum).name,
            )
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
    commit_retries: int = 0
    """Offset commits tried again because the broker was away (a retriable error)."""
    committed: int = 0
    last_error: str = ""
    by_reason: dict[str, int] = field(default_factory=dict)


def make_producer(kafka: KafkaSettings, **overrides: Any) -> KafkaProducer:
    kafka_compat.use_gzip_level()
    cfg: dict[str, Any] = {
        **kafka.client_config(),
        "acks": "all",
        # Idempotence keeps retried sends from duplicating within a partition.
        "enable_idempotence": True,
        "compression_type": "gzip",
        "linger_ms": 20,
        "max_request_size": kafka.max_message_bytes,
        "retries": 10,
        # kafka-python's own partitioner, same placement, cheaper hash (wire/partitioning.py).
        "partitioner": Murmur2Partitioner(),
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
    observer: Observer | None = None,
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
    if observer is not None:
        observer.condition("kafka", True)
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
        observer=observer,
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
    observer: Observer | None = None,
) -> Stats:
    """Consume until ``stop`` is set (or idle for ``idle_exit_ms``), then drain and commit.

    Each batch goes through the same steps: poll, decode (records -> articles and poison),
    handle, dead-letter, commit, count. A handler may return a :class:`Start` instead of
    outcomes: it did the batch's CPU work and ``Start.begin`` starts the slow part (the request
    downstream) on a thread of its own. The loop then overlaps batches: while batch N is in
    flight it fetches, decodes and prepares batch N+1 (one batch ahead at most; nothing more is
    read meanwhile), starts N+1 as soon as N is acknowledged, then finishes N. Guarantees are a
    plain handler's: batches finish in order; a batch's offsets are committed only after its
    outcomes came back and its dead letters are written; a :class:`TransientError` retries that
    batch here (consumption paused) before any later batch starts. ``Stats.consumed`` counts a
    batch when it starts.
    """
    r = steps.Run(
        consumer,
        handle,
        dead_letters,
        settings,
        stop,
        stats if stats is not None else Stats(),
        on_batch,
        observer=observer,
    )
    intake = steps.Intake()
    inflight: steps.InFlight | None = None
    try:
        while True:
            stopping = stop.is_set() or (inflight is None and intake.idle(settings))
            if not stopping:
                room = settings.batch_max_records - len(intake.records)
                intake.add(consumer.poll(timeout_ms=100, max_records=max(room, 1)))
            if inflight is not None and (stopping or inflight.future.done()):
                steps.finish(r, steps.acknowledged(r, inflight))
                inflight = None
            if not intake.records:
                if stopping and inflight is None:
                    break
                if observer is not None:  # idle: the lag gauge must still move (rate-limited)
                    observer.refresh_lag(consumer)
                continue
            if stopping or intake.full(settings):
                inflight = steps.process(
                    r, steps.decode_batch(intake.take(), max_message_bytes), inflight
                )
    finally:
        consumer.close(autocommit=False)
    return r.stats
