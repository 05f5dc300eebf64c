"""The consume loop against real Kafka: dead letters, the dead-letter limit, transient retries."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence

import pytest

from diplowire.wire import topics as t
from diplowire.wire.admin import ensure_topics
from diplowire.wire.article import Article, encode
from diplowire.wire.loop import (
    DeadLetters,
    Outcome,
    Stats,
    StopFlag,
    TransientError,
    WorkerStopped,
    make_consumer,
    make_producer,
    run,
)
from diplowire.wire.settings import EnrichSettings, KafkaSettings, LoopSettings
from tests.support import WorkerThread, read_topic, wait_for
from tests.support.messages import hex_id, make_article, produce_values


def test_poison_messages_go_to_the_dead_letter_topic_with_reasons(
    kafka: KafkaSettings, fast_loop: LoopSettings
) -> None:
    from diplowire.enrich.worker import run_worker

    ensure_topics(kafka)
    small = KafkaSettings(
        bootstrap_servers=kafka.bootstrap_servers,
        topic_prefix=kafka.topic_prefix,
        max_message_bytes=20_000,
    )
    good = [
        encode(make_article(id=hex_id(f"a{i}"), title="La Russie et les États-Unis"))
        for i in range(3)
    ]
    bad = [
        b"{broken",
        json.dumps({"schema_version": 1, "id": 5}).encode(),
        encode(make_article(id=hex_id("big"), text="mot " * 10_000)),
    ]
    produce_values(kafka, kafka.topics.raw, [good[0], bad[0], good[1], bad[1], bad[2], good[2]])

    with WorkerThread(run_worker, EnrichSettings(kafka=small, loop=fast_loop)) as w:
        wait_for(
            lambda: w.stats.consumed >= 6 and w.stats.committed >= 6,
            120,
            "six messages handled",
            (w,),
        )
    assert w.stats.succeeded == 3 and w.stats.dead_lettered == 3
    assert w.stats.by_reason == {"invalid_json": 1, "schema_violation": 1, "oversized": 1}

    dead = read_topic(kafka, kafka.topics.deadletter)
    assert len(dead) == 3
    headers = [dict(r.headers) for r in dead]
    assert {h[t.H_STAGE] for h in headers} == {b"enrich"}
    assert {h[t.H_ERROR] for h in headers} == {b"invalid_json", b"schema_violation", b"oversized"}
    assert all(h[t.H_SOURCE_TOPIC] == kafka.topics.raw.encode() for h in headers)
    # The original bytes are kept, so the message can be inspected and replayed; one too big
    # for the dead-letter topic keeps its head and says how big it was.
    by_error = {dict(r.headers)[t.H_ERROR]: r for r in dead}
    assert by_error[b"invalid_json"].value == bad[0]
    assert by_error[b"schema_violation"].value == bad[1]
    big = by_error[b"oversized"]
    assert bad[2].startswith(big.value) and len(big.value) < len(bad[2])
    assert dict(big.headers)[t.H_TRUNCATED] == str(len(bad[2])).encode()
    assert len(read_topic(kafka, kafka.topics.enriched)) == 3


def test_a_run_of_dead_letters_stops_the_worker_instead_of_draining_the_topic(
    kafka: KafkaSettings,
) -> None:
    from diplowire.enrich.worker import run_worker

    ensure_topics(kafka)
    produce_values(kafka, kafka.topics.raw, [b"garbage %d" % i for i in range(40)])
    loop = LoopSettings(batch_max_records=4, batch_max_wait_ms=100, max_consecutive_dead_letters=5)
    w = WorkerThread(run_worker, EnrichSettings(kafka=kafka, loop=loop))
    w.start()
    w.join(timeout=120)
    assert isinstance(w.error, WorkerStopped)
    assert "consecutive dead letters" in str(w.error)
    assert 5 <= w.stats.dead_lettered < 40


def test_transient_errors_pause_and_retry_the_same_batch_then_commit(
    kafka: KafkaSettings, fast_loop: LoopSettings
) -> None:
    ensure_topics(kafka)
    produce_values(
        kafka, kafka.topics.raw, [encode(make_article(id=hex_id(f"x{i}"))) for i in range(5)]
    )
    calls: list[list[str]] = []
    failures = {"left": 3}

    def handle(batch: Sequence[Article]) -> list[Outcome]:
        calls.append([a.id for a in batch])
        if failures["left"]:
            failures["left"] -= 1
            raise TransientError("downstream down")
        return [None] * len(batch)

    stop = StopFlag()
    stats = Stats()
    consumer = make_consumer(kafka, fast_loop, kafka.topics.group("t"), kafka.topics.raw)
    producer = make_producer(kafka)
    thread = threading.Thread(
        target=run,
        args=(
            consumer,
            handle,
            DeadLetters(producer, kafka.topics.deadletter, "test"),
            fast_loop,
            stop,
        ),
        kwargs={"stats": stats},
    )
    thread.start()
    try:
        wait_for(lambda: stats.committed >= 5, 60, "the batch committed after retries")
    finally:
        stop.set()
        thread.join(timeout=30)
        producer.close()
    assert stats.retries == 3
    assert stats.succeeded == 5 and stats.dead_lettered == 0
    # Every retry saw the same articles again: nothing was skipped or committed early.
    first = sorted(calls[0])
    assert all(sorted(c) == first for c in calls[:4])


def test_a_dead_broker_is_a_clear_failure() -> None:
    from kafka.errors import KafkaTimeoutError

    with pytest.raises(KafkaTimeoutError, match="Unable to bootstrap"):
        make_producer(KafkaSettings(bootstrap_servers="127.0.0.1:1"), bootstrap_timeout_ms=2000)
