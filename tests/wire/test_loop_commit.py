"""The consume loop when the broker dies while a batch's offsets are being committed.

A private broker (tests/support/kafkanode.py): killing the shared one would fail every suite
running beside this one.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Sequence

import pytest
from kafka import KafkaConsumer
from kafka.structs import TopicPartition

from diplowire.wire.admin import ensure_topics
from diplowire.wire.article import Article, encode
from diplowire.wire.deadletters import DeadLetters
from diplowire.wire.loop import Stats, StopFlag, make_consumer, make_producer, run
from diplowire.wire.outcomes import Outcome
from diplowire.wire.settings import KafkaSettings, LoopSettings
from diplowire.wire.steps import COMMIT_BACKOFF_MAX_S
from tests.support import wait_for
from tests.support.kafkanode import KafkaNode
from tests.support.messages import make_article, produce_values

DOWN_S = 8.0


def _committed(kafka: KafkaSettings, group: str, topic: str) -> int | None:
    consumer = KafkaConsumer(**kafka.client_config(), group_id=group, enable_auto_commit=False)
    try:
        return consumer.committed(TopicPartition(topic, 0))
    finally:
        consumer.close(autocommit=False)


def test_a_broker_dying_at_commit_time_is_waited_for_and_nothing_is_lost(
    private_kafka: KafkaNode, ns: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="diplowire")
    kafka = KafkaSettings(bootstrap_servers=private_kafka.bootstrap, topic_prefix=ns)
    ensure_topics(kafka, partitions=1)
    ids = [f"{i:032x}" for i in range(12)]
    produce_values(kafka, kafka.topics.raw, [encode(make_article(id=i)) for i in ids])
    loop = LoopSettings(
        batch_max_records=4,
        batch_max_wait_ms=100,
        retry_initial_ms=200,
        # The default: commit retries are capped lower (COMMIT_BACKOFF_MAX_S), asserted below.
        retry_max_ms=30_000,
        # Each attempt ends well inside the outage, so the loop's own retry must be seen; with
        # kafka-python's 30 s it sometimes retried inside one commit() call (CI, stop 19).
        commit_timeout_ms=2_000,
    )
    handled: list[str] = []

    def bring_back() -> None:
        time.sleep(DOWN_S)
        private_kafka.start()

    def handle(batch: Sequence[Article]) -> list[Outcome]:
        if not handled:
            # The first batch is acknowledged downstream; its offsets then meet a dead broker.
            private_kafka.kill_now()
            threading.Thread(target=bring_back, daemon=True).start()
        handled.extend(a.id for a in batch)
        return [None] * len(batch)

    group = kafka.topics.group("t")
    stop, stats = StopFlag(), Stats()
    consumer = make_consumer(kafka, loop, group, kafka.topics.raw)
    producer = make_producer(kafka)
    errors: list[BaseException] = []

    def target() -> None:
        try:
            run(
                consumer,
                handle,
                DeadLetters(producer, kafka.topics.deadletter, "test"),
                loop,
                stop,
                stats=stats,
            )
        except BaseException as exc:  # the regression: KafkaConnectionError out of commit()
            errors.append(exc)
            raise

    thread = threading.Thread(target=target)
    thread.start()
    try:
        wait_for(
            lambda: stats.committed >= len(ids) or not thread.is_alive(),
            180,
            "every record committed once the broker is back",
        )
        assert thread.is_alive(), f"the worker exited: {errors}"
    finally:
        stop.set()
        thread.join(timeout=60)
        producer.close(timeout=10)
    assert not errors, errors
    assert stats.commit_retries >= 1, "the commit met the dead broker and was tried again"
    # A worker whose broker is back commits within seconds, not after retry_max_ms (e2e startup
    # test: 10 articles not indexed 180 s after a 30 s outage once).
    waits = [
        int(m.group(1))
        for r in caplog.records
        if (
            m := re.search(
                r"offset commit failed \(attempt \d+, next in (\d+) ms\)", r.getMessage()
            )
        )
    ]
    assert waits, "the commit retries were logged"
    assert max(waits) <= COMMIT_BACKOFF_MAX_S * 1000, waits
    # Each record handled; the first batch perhaps twice (re-read after a rebalance), never lost.
    assert set(handled) == set(ids)
    # Whether the retried commit went through or the group re-formed meanwhile (the batch is
    # then re-read and committed by the new member), every offset ends committed once.
    assert stats.committed == len(ids)
    assert _committed(kafka, group, kafka.topics.raw) == len(ids)
