"""An article and raw Kafka records for the wire tests (decode, loop, steps, commit order)."""

from __future__ import annotations

from diplowire.ingest.normalize import article_id
from diplowire.wire.article import SCHEMA_VERSION, Article, Source, Timestamps, replace
from diplowire.wire.loop import make_producer
from diplowire.wire.settings import KafkaSettings

ARTICLE_ID = article_id("https://x.test/a")


def hex_id(label: str) -> str:
    """A valid article id (the poller's form) made from a test's label."""
    return article_id(f"https://x.test/{label}")


def make_article(**kw: object) -> Article:
    """A valid raw article; ``kw`` replaces its fields."""
    base = Article(
        schema_version=SCHEMA_VERSION,
        id=ARTICLE_ID,
        version=1,
        url="https://x.test/a",
        canonical_url="https://x.test/a",
        title="Titre",
        text="Texte",
        published="2025-02-10T10:00:00Z",
        published_from="published",
        source=Source(name="s", feed_url="https://x.test/feed"),
        timestamps=Timestamps(fetched="2025-02-10T10:00:01Z"),
    )
    return replace(base, **kw)


def produce_values(kafka: KafkaSettings, topic: str, values: list[bytes]) -> None:
    """Each value as one record (keys k0, k1, ...), flushed before returning."""
    producer = make_producer(kafka, max_request_size=5_000_000)
    for i, v in enumerate(values):
        producer.send(topic, key=f"k{i}".encode(), value=v)
    producer.flush()
    producer.close()
