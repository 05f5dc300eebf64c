"""DeadLetters bounded by the dead-letter topic's own limit, against a real small topic."""

from __future__ import annotations

import pytest

from diplowire.wire import topics as t
from diplowire.wire.admin import GZIP_SLACK, TopicLimits, record_limits
from diplowire.wire.deadletters import DeadLetters
from diplowire.wire.kafka_compat import record_size
from diplowire.wire.loop import make_producer
from diplowire.wire.outcomes import Poison, WorkerStopped
from diplowire.wire.publisher import Publisher
from diplowire.wire.settings import KafkaSettings
from tests.ingest import feedfiles as ff
from tests.support import create_limited_topic, read_topic

LIMIT = 2_000


def test_dead_letters_fit_the_topic_limit_and_the_producer_keeps_working(
    kafka: KafkaSettings,
) -> None:
    topic = kafka.topics.deadletter
    create_limited_topic(kafka, topic, LIMIT)
    # Real feed bytes as the poison values: a head of the UN feed of three sizes.
    feed = ff.real("un-news-europe.xml")
    small, edge, big = feed[:500], feed[: LIMIT - 200], feed[:12_000]
    producer = make_producer(kafka)
    try:
        assert record_limits(producer, kafka, (topic,)) == {topic: LIMIT - GZIP_SLACK}
        dl = DeadLetters(
            producer,
            topic,
            "test",
            max_value_bytes=None,
            record_limit=lambda: record_limits(producer, kafka, (topic,))[topic],
        )
        # The workers' dead letters: bounded by the limit their publisher reads.
        via = DeadLetters.through(Publisher(producer, kafka, TopicLimits()), topic, "test")
        assert via.record_limit is not None and via.record_limit() == LIMIT - GZIP_SLACK
        assert via.max_value_bytes is None
        poison = Poison("invalid_json", "not JSON: " + "expected value " * 20)
        futures = [
            dl.send(b"k-big", big, poison, ("raw", 0, 1)),
            # The value alone is under the limit, but not with the headers saying why.
            dl.send(b"k-edge", edge, poison, ("raw", 0, 2)),
            dl.send(b"k-small", small, poison, ("raw", 0, 3)),
        ]
        dl.flush(futures)
        with pytest.raises(WorkerStopped, match="key and headers alone"):
            dl.send(b"k" * LIMIT, small, poison)
        # After the cut records the producer still delivers (a refusal would have broken it).
        dl.flush([dl.send(b"k-after", small, poison)])
    finally:
        producer.close()

    records = {r.key: r for r in read_topic(kafka, topic)}
    assert sorted(records) == [b"k-after", b"k-big", b"k-edge", b"k-small"]
    for key, whole in ((b"k-big", big), (b"k-edge", edge)):
        rec = records[key]
        headers = dict(rec.headers)
        assert headers[t.H_TRUNCATED] == str(len(whole)).encode()
        assert whole.startswith(rec.value) and len(rec.value) > LIMIT // 2
        size = record_size(rec.key, rec.value, list(rec.headers))
        assert size <= LIMIT - GZIP_SLACK
    assert records[b"k-small"].value == small
    assert t.H_TRUNCATED not in dict(records[b"k-small"].headers)
