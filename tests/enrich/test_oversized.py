"""Enriched articles over the enriched topic's limit, against real Kafka: dead-lettered before
the broker can refuse them, so the worker's producer keeps working and the worker never stalls."""

from __future__ import annotations

from diplowire.enrich.worker import run_worker
from diplowire.wire import topics as t
from diplowire.wire.admin import ensure_topics, topic_message_limits
from diplowire.wire.article import Article, decode, encode
from diplowire.wire.loop import WorkerStopped, make_producer
from diplowire.wire.settings import EnrichSettings, KafkaSettings, LoopSettings
from tests.support import WorkerThread, committed, create_limited_topic, read_topic, wait_for
from tests.support.articles import big_article, un_articles

ENRICHED_LIMIT = 20_000


def _produce(kafka: KafkaSettings, articles: list[Article]) -> None:
    producer = make_producer(kafka)
    for art in articles:
        producer.send(kafka.topics.raw, key=art.id.encode(), value=encode(art))
    producer.flush()
    producer.close()


def test_an_enriched_article_over_the_topic_limit_is_dead_lettered_and_the_rest_published(
    kafka: KafkaSettings, fast_loop: LoopSettings
) -> None:
    create_limited_topic(kafka, kafka.topics.enriched, ENRICHED_LIMIT)
    ensure_topics(kafka)  # raw and dead-letter topics, with their usual limits
    arts = un_articles()
    normal, later, big = arts[:6], arts[6:10], big_article(arts)
    # The big one in the middle of a batch: the articles after it must still be sent.
    first = [*normal[:3], big, *normal[3:]]
    _produce(kafka, first)

    with WorkerThread(run_worker, EnrichSettings(kafka=kafka, loop=fast_loop)) as w:
        group = kafka.topics.group("enrich")
        wait_for(lambda: committed(kafka, group) >= len(first), 180, "first batch committed", (w,))
        # The same producer still publishes: a broker refusal would have made it fail them all.
        _produce(kafka, later)
        total = len(first) + len(later)
        wait_for(lambda: committed(kafka, group) >= total, 120, "later articles committed", (w,))
    assert w.error is None
    assert w.stats.retries == 0
    assert w.stats.succeeded == total - 1 and w.stats.dead_lettered == 1
    assert w.stats.by_reason == {"oversized": 1}

    enriched = read_topic(kafka, kafka.topics.enriched)
    assert sorted(r.key.decode() for r in enriched) == sorted(a.id for a in normal + later)
    assert all(decode(r.value).enrichment is not None for r in enriched)
    dead = read_topic(kafka, kafka.topics.deadletter)
    assert len(dead) == 1 and dead[0].key == big.id.encode()
    headers = {k: v.decode() for k, v in dead[0].headers}
    assert headers[t.H_ERROR] == "oversized" and headers[t.H_STAGE] == "enrich"
    assert headers[t.H_SOURCE_TOPIC] == kafka.topics.raw
    cause = headers[t.H_CAUSE]
    assert kafka.topics.enriched in cause and f"over the {ENRICHED_LIMIT - 256}-byte" in cause
    assert t.H_TRUNCATED not in headers
    assert decode(dead[0].value) == big  # the raw message, whole: it fits the dead-letter topic


def test_a_limit_not_known_in_time_stops_the_worker_and_a_restart_dead_letters(
    kafka: KafkaSettings, fast_loop: LoopSettings
) -> None:
    # The limit is read (and cached) before the topic exists, as when the broker could not be
    # asked: the broker itself refuses the big record, which leaves the producer unusable. The
    # broker measures the gzipped batch, so the limit here is below the big record gzipped too.
    topic_message_limits(kafka, (kafka.topics.enriched,))
    create_limited_topic(kafka, kafka.topics.enriched, 8_000)
    ensure_topics(kafka)
    arts = un_articles()
    normal, big = arts[:4], big_article(arts)
    _produce(kafka, [*normal[:2], big, *normal[2:]])
    settings = EnrichSettings(kafka=kafka, loop=fast_loop)

    stopped = WorkerThread(run_worker, settings)
    stopped.start()
    stopped.join(timeout=180)
    assert not stopped.is_alive(), "the worker kept retrying with an unusable producer"
    assert isinstance(stopped.error, WorkerStopped), stopped.error
    assert "too large" in str(stopped.error) and kafka.topics.enriched in str(stopped.error)
    assert stopped.stats.committed == 0  # the batch is read again after the restart

    with WorkerThread(run_worker, settings) as w:
        wait_for(
            lambda: committed(kafka, kafka.topics.group("enrich")) >= 5, 180, "batch done", (w,)
        )
    assert w.error is None and w.stats.by_reason == {"oversized": 1}
    # Some were perhaps published before the refusal: downstream writes are idempotent.
    assert {r.key.decode() for r in read_topic(kafka, kafka.topics.enriched)} == {
        a.id for a in normal
    }
    dead = read_topic(kafka, kafka.topics.deadletter)
    assert [r.key for r in dead] == [big.id.encode()]


def test_a_dead_letter_is_cut_to_the_dead_letter_topics_own_limit(
    kafka: KafkaSettings, fast_loop: LoopSettings
) -> None:
    # A dead-letter topic created by hand with a limit far below the settings' message limit:
    # the dead letter must fit that topic, not the settings.
    dead_limit = 6_000
    create_limited_topic(kafka, kafka.topics.deadletter, dead_limit)
    ensure_topics(kafka)
    arts = un_articles()
    normal, big = arts[:4], big_article(arts)
    _produce(kafka, [*normal[:2], big, *normal[2:]])
    # The big article's text is over the enricher's limit: a poison before any enrichment.
    settings = EnrichSettings(kafka=kafka, loop=fast_loop, max_text_chars=5_000)

    with WorkerThread(run_worker, settings) as w:
        wait_for(
            lambda: committed(kafka, kafka.topics.group("enrich")) >= 5, 180, "batch done", (w,)
        )
    assert w.error is None and w.stats.by_reason == {"oversized": 1}
    assert len(read_topic(kafka, kafka.topics.enriched)) == len(normal)
    dead = read_topic(kafka, kafka.topics.deadletter)
    assert len(dead) == 1
    headers = dict(dead[0].headers)
    raw = encode(big)
    assert headers[t.H_TRUNCATED] == str(len(raw)).encode()
    assert raw.startswith(dead[0].value) and 3_000 < len(dead[0].value) < dead_limit
