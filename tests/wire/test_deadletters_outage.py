"""Dead letters written while the broker does not answer: the worker waits, it does not crash.

Found by the fault suite: ``producer.flush`` raised ``KafkaTimeoutError`` out of the consume loop
when the broker was away for longer than one flush, and the worker exited 1 with a traceback.
A private broker is frozen (tests/support/kafkanode.py): freezing the shared one would stall
every suite running beside this one.
"""

from __future__ import annotations

import logging
import threading
import time

import pytest

from diplowire.wire.admin import ensure_topics
from diplowire.wire.deadletters import DeadLetters
from diplowire.wire.loop import make_producer
from diplowire.wire.outcomes import Poison
from diplowire.wire.settings import KafkaSettings
from tests.support import read_topic
from tests.support.kafkanode import KafkaNode

WAITED_MAX_S = 30.0
"""Bound on the wait for the flush's "still waiting" line (it comes after one 1 s flush)."""


class _StillWaiting(logging.Handler):
    """Sets ``seen`` when the dead letters log that a flush outlasted its timeout."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "still waiting" in record.getMessage():
            self.seen.set()


def test_a_flush_outlasting_its_timeout_keeps_waiting_and_delivers(
    private_kafka: KafkaNode, ns: str, caplog: pytest.LogCaptureFixture
) -> None:
    kafka = KafkaSettings(bootstrap_servers=private_kafka.bootstrap, topic_prefix=ns)
    ensure_topics(kafka, partitions=1)
    producer = make_producer(kafka)
    letters = DeadLetters(producer, kafka.topics.deadletter, "test")
    # Warm the producer's metadata, so the frozen broker is met by the flush, not by send().
    letters.flush([letters.send(b"k0", b"{}", Poison("invalid_json", "warm-up"))])

    # The broker stays frozen until the flush said it outlasted its timeout (rather than for a
    # fixed 4 s, which a flush started late on a loaded machine did not always outlast).
    frozen, waiting = threading.Event(), _StillWaiting()
    thawed_at: list[float] = []

    def freeze() -> None:
        with private_kafka.frozen():
            frozen.set()
            waiting.seen.wait(WAITED_MAX_S)
            thawed_at.append(time.monotonic())  # before SIGCONT: nothing acknowledged before

    logger = logging.getLogger("diplowire.wire.deadletters")
    logger.addHandler(waiting)
    thread = threading.Thread(target=freeze, daemon=True)
    try:
        thread.start()
        assert frozen.wait(10)
        fut = letters.send(b"k1", b"not json", Poison("invalid_json", "during the outage"))
        caplog.set_level(logging.WARNING, logger="diplowire.wire.deadletters")
        letters.flush([fut], timeout=1.0)  # raised KafkaTimeoutError before the fix
        done_at = time.monotonic()
    finally:
        waiting.seen.set()
        thread.join(10)
        logger.removeHandler(waiting)
        producer.close()

    assert thawed_at and done_at >= thawed_at[0], "acknowledged while the broker was frozen"
    assert any("still waiting" in r.getMessage() for r in caplog.records)
    keys = [r.key for r in read_topic(kafka, kafka.topics.deadletter)]
    assert keys.count(b"k1") == 1
