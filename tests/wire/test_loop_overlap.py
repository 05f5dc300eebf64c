"""The consume loop with a two-step handler (``Start``): batches overlap, guarantees hold."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from diplowire.wire import topics as t
from diplowire.wire.admin import ensure_topics
from diplowire.wire.article import Article, encode
from diplowire.wire.loop import (
    DeadLetters,
    Outcome,
    Poison,
    Start,
    Stats,
    StopFlag,
    TransientError,
    make_consumer,
    make_producer,
    run,
)
from diplowire.wire.settings import KafkaSettings, LoopSettings
from tests.support import read_topic, wait_for
from tests.support.messages import make_article, produce_values


def test_overlapped_batches_commit_in_order_after_their_ack_and_retry_before_the_next(
    kafka: KafkaSettings,
) -> None:
    ensure_topics(kafka, partitions=1)
    produce_values(
        kafka, kafka.topics.raw, [encode(make_article(id=f"{i:032x}")) for i in range(12)]
    )
    loop = LoopSettings(
        batch_max_records=4, batch_max_wait_ms=100, retry_initial_ms=100, retry_max_ms=200
    )
    prepared: list[list[str]] = []
    started: list[list[str]] = []
    gate = threading.Event()
    failures = {"left": 1}
    sender = ThreadPoolExecutor(1)

    def send(ids: list[str]) -> Sequence[Outcome]:
        if len(started) == 1:
            gate.wait(30)  # the first batch stays in flight until the test has looked
        if ids[0] == f"{4:032x}" and failures["left"]:
            failures["left"] -= 1
            raise TransientError("downstream down")
        return [Poison("test", "refused") if i == f"{9:032x}" else None for i in ids]

    def handle(batch: Sequence[Article]) -> Start:
        ids = [a.id for a in batch]
        prepared.append(ids)

        def start() -> Future[Sequence[Outcome]]:
            started.append(ids)
            return sender.submit(send, ids)

        return Start(start)

    stop, stats = StopFlag(), Stats()
    consumer = make_consumer(kafka, loop, kafka.topics.group("t"), kafka.topics.raw)
    producer = make_producer(kafka)
    thread = threading.Thread(
        target=run,
        args=(consumer, handle, DeadLetters(producer, kafka.topics.deadletter, "test"), loop, stop),
        kwargs={"stats": stats},
    )
    thread.start()
    try:
        # Batch 1 in flight, batch 2 prepared ahead: nothing committed, nothing more read.
        wait_for(lambda: len(prepared) >= 2, 60, "the second batch prepared ahead")
        assert len(started) == 1 and stats.committed == 0
        assert stats.consumed == 4, "a batch prepared ahead counts once it starts"
        gate.set()
        wait_for(lambda: stats.committed >= 12, 60, "every batch committed")
    finally:
        gate.set()
        stop.set()
        thread.join(timeout=30)
        producer.close()
        sender.shutdown()
    assert not thread.is_alive()
    ids = [f"{i:032x}" for i in range(12)]
    # The failed batch was retried before the next one started; order kept.
    assert started == [ids[0:4], ids[4:8], ids[4:8], ids[8:12]]
    assert stats.retries == 1
    assert (stats.consumed, stats.succeeded, stats.dead_lettered) == (12, 11, 1)
    dead = read_topic(kafka, kafka.topics.deadletter)
    assert [dict(r.headers)[t.H_ERROR] for r in dead] == [b"test"]
