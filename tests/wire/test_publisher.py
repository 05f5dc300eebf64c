"""wire.publisher against the real broker: sent, oversized, and each kind of refusal."""

from __future__ import annotations

from diplowire.wire import kafka_compat
from diplowire.wire import topics as t
from diplowire.wire.admin import GZIP_SLACK, TopicLimits
from diplowire.wire.article import decode, encode
from diplowire.wire.loop import make_producer
from diplowire.wire.publisher import Oversized, Publisher, RefusalKind, Refused, Sent
from diplowire.wire.settings import KafkaSettings
from tests.support import create_limited_topic, create_refusing_topic, read_topic
from tests.support.articles import big_article, un_articles

LIMIT = 8_000


def test_articles_within_the_topic_limit_are_sent_with_headers_the_others_not(
    kafka: KafkaSettings,
) -> None:
    topic = kafka.topics.raw
    create_limited_topic(kafka, topic, LIMIT)
    arts = un_articles()
    small, big = arts[0], big_article(arts)
    producer = make_producer(kafka)
    # An explicit cache of its own: nothing read by another test applies.
    publisher = Publisher(producer, kafka, TopicLimits())
    try:
        assert publisher.record_limit(topic) == LIMIT - GZIP_SLACK
        out = publisher.send(topic, small)
        assert isinstance(out, Sent) and out.size <= out.limit == LIMIT - GZIP_SLACK
        over = publisher.send(topic, big)
        assert isinstance(over, Oversized)
        assert over.size == kafka_compat.record_size(
            big.id.encode(), encode(big), [(t.H_SCHEMA_VERSION, b"1")]
        )
        assert over.size > over.limit == LIMIT - GZIP_SLACK
        producer.flush(timeout=30)
        assert publisher.acknowledged(out) is None
    finally:
        producer.close(timeout=5)
    records = read_topic(kafka, topic)
    assert [r.key for r in records] == [small.id.encode()]  # the big one never left
    assert dict(records[0].headers)[t.H_SCHEMA_VERSION] == str(small.schema_version).encode()
    assert decode(records[0].value) == small


def test_a_stale_limit_ends_in_a_too_large_refusal_and_an_unusable_producer(
    kafka: KafkaSettings,
) -> None:
    topic = kafka.topics.enriched
    limits = TopicLimits()
    producer = make_producer(kafka)
    publisher = Publisher(producer, kafka, limits)
    try:
        # Read before the topic exists: only the producer's limit is known, and cached.
        stale = publisher.record_limit(topic)
        assert stale == kafka.max_message_bytes
        create_limited_topic(kafka, topic, 2_000)
        arts = un_articles()
        # Incompressible-enough text: several articles' text, over 2,000 bytes even gzipped.
        out = publisher.send(topic, big_article(arts))
        assert isinstance(out, Sent)
        producer.flush(timeout=30)
        refused = publisher.acknowledged(out)
        assert isinstance(refused, Refused)
        assert refused.kind is RefusalKind.TOO_LARGE and refused.producer_unusable
        assert not refused.aborted
        later = publisher.send(topic, arts[1])
        assert isinstance(later, Sent)
        producer.flush(timeout=30)
        after = publisher.acknowledged(later)
        assert isinstance(after, Refused) and after.producer_unusable and after.aborted
        publisher.forget_limits()
        assert publisher.record_limit(topic) == 2_000 - GZIP_SLACK
    finally:
        producer.close(timeout=5)


def test_a_non_retriable_refusal_is_fatal(kafka: KafkaSettings) -> None:
    # Every record older than its arrival refused (INVALID_TIMESTAMP): non-retriable.
    topic = kafka.topics.enriched
    create_refusing_topic(kafka, topic)
    producer = make_producer(kafka)
    publisher = Publisher(producer, kafka, TopicLimits())
    try:
        out = publisher.send(topic, un_articles()[0])
        assert isinstance(out, Sent)
        producer.flush(timeout=30)
        refused = publisher.acknowledged(out)
        assert isinstance(refused, Refused)
        assert refused.kind is RefusalKind.FATAL and refused.producer_unusable
    finally:
        producer.close(timeout=5)
