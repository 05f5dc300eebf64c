"""The indexer on real Kafka and Elasticsearch: replays, versions, dead letters, refusals."""

from __future__ import annotations

from diplowire.index.worker import replay, run_worker
from diplowire.wire import topics as t
from diplowire.wire.article import encode, replace
from diplowire.wire.settings import (
    ElasticsearchSettings,
    IndexSettings,
    KafkaSettings,
    LoopSettings,
)
from tests.index.helpers import articles, fresh, produce
from tests.support import WorkerThread, committed, es_count, read_topic, topic_size, wait_for


def _settings(kafka: KafkaSettings, es: ElasticsearchSettings, loop: LoopSettings) -> IndexSettings:
    return IndexSettings(kafka=kafka, loop=loop, elasticsearch=es)


def test_replay_of_the_whole_topic_leaves_the_count_unchanged(
    kafka: KafkaSettings, es_settings: ElasticsearchSettings, fast_loop: LoopSettings
) -> None:
    arts = fresh(articles())
    produce(kafka, arts)
    settings = _settings(kafka, es_settings, fast_loop)
    from elasticsearch import Elasticsearch

    es = Elasticsearch(es_settings.url)
    alias = es_settings.index_prefix
    with WorkerThread(run_worker, settings) as first:
        wait_for(lambda: first.stats.succeeded >= len(arts), 60, "first pass", (first,))
    assert es_count(es, alias) == len(arts)
    group = kafka.topics.group("index")
    assert committed(kafka, group) == len(arts)

    # Replay: rewind the indexer's group, so it re-reads the whole topic.
    rewound = replay(settings)
    assert sum(rewound.values()) == 0
    counters: dict[str, int] = {}
    with WorkerThread(run_worker, settings, counters=counters) as second:
        wait_for(lambda: second.stats.succeeded >= len(arts), 60, "replay", (second,))
    assert second.stats.consumed == len(arts)
    assert es_count(es, alias) == len(arts)
    versions = es.search(index=alias, size=0, aggs={"v": {"max": {"field": "version"}}})
    assert versions["aggregations"]["v"]["value"] == 1
    es.close()


def test_newer_version_replaces_older_and_older_never_overwrites(
    kafka: KafkaSettings, es_settings: ElasticsearchSettings, fast_loop: LoopSettings
) -> None:
    a, b = fresh(articles()[:2])
    a2 = replace(a, version=2, title=a.title + " (updated)")
    b3 = replace(b, version=3, title=b.title + " (third take)")
    # On one partition, in this order: a1, a2 (newer wins); b3, b1 (older arrives late).
    produce(kafka, [a, a2, b3, b])
    counters: dict[str, int] = {}
    with WorkerThread(
        run_worker, _settings(kafka, es_settings, fast_loop), counters=counters
    ) as worker:
        wait_for(lambda: worker.stats.succeeded >= 4, 60, "four messages", (worker,))
    from elasticsearch import Elasticsearch

    es = Elasticsearch(es_settings.url)
    alias = es_settings.index_prefix
    assert es_count(es, alias) == 2
    doc_a = es.get(index=alias, id=a.id)
    doc_b = es.get(index=alias, id=b.id)
    assert (doc_a["_version"], doc_a["_source"]["title"]) == (2, a2.title)
    assert (doc_b["_version"], doc_b["_source"]["title"]) == (3, b3.title)
    assert counters.get("stale") == 1
    assert worker.stats.dead_lettered == 0
    es.close()


def test_mapping_violation_goes_to_dead_letters_and_the_rest_of_the_batch_is_indexed(
    kafka: KafkaSettings, es_settings: ElasticsearchSettings
) -> None:
    arts = fresh(articles()[:20])
    # Valid for the wire schema (any string), refused by the mapping: a keyword term over
    # Lucene's 32 766 bytes. One document's refusal, unlike a whole-request one (test_refusals).
    bad = replace(arts[7], canonical_url="https://x.test/" + "a" * 40_000)
    arts[7] = bad
    produce(kafka, arts)
    loop = LoopSettings(batch_max_records=50, batch_max_wait_ms=2000)
    with WorkerThread(run_worker, _settings(kafka, es_settings, loop)) as worker:
        wait_for(lambda: worker.stats.consumed >= 20, 60, "the batch", (worker,))
    assert worker.stats.batches == 1, "the test needs all 20 in one bulk request"
    from elasticsearch import Elasticsearch

    es = Elasticsearch(es_settings.url)
    assert es_count(es, es_settings.index_prefix) == 19
    assert not es.exists(index=es_settings.index_prefix, id=bad.id)
    dead = read_topic(kafka, kafka.topics.deadletter)
    assert len(dead) == 1
    headers = {k: v.decode() for k, v in dead[0].headers}
    assert headers[t.H_STAGE] == "index"
    assert headers[t.H_ERROR] == "es_document_parsing_exception"
    assert "canonical_url" in headers[t.H_CAUSE], headers[t.H_CAUSE]
    assert dead[0].value == encode(bad)
    assert headers[t.H_SOURCE_OFFSET] == "7"
    # Committed only now that every item is in Elasticsearch or in the dead-letter topic.
    assert committed(kafka, kafka.topics.group("index")) == 20
    es.close()


def test_items_refused_with_429_are_retried_until_elasticsearch_accepts_them(
    kafka: KafkaSettings, es_settings: ElasticsearchSettings, fast_loop: LoopSettings
) -> None:
    from elasticsearch import Elasticsearch

    from diplowire.index.layout import write_index
    from diplowire.index.migrate import ensure_index

    es = Elasticsearch(es_settings.url)
    alias = ensure_index(es, es_settings.index_prefix)
    index = write_index(es, alias)
    # The flood-stage block: Elasticsearch refuses every write item with 429 TOO_MANY_REQUESTS.
    es.indices.put_settings(index=index, settings={"index.blocks.read_only_allow_delete": True})
    arts = fresh(articles()[:30])
    produce(kafka, arts)
    counters: dict[str, int] = {}
    settings = IndexSettings(
        kafka=kafka, loop=fast_loop, elasticsearch=es_settings, bulk_item_attempts=2
    )
    try:
        with WorkerThread(run_worker, settings, counters=counters) as worker:
            wait_for(lambda: worker.stats.retries >= 2, 30, "retries", (worker,))
            assert worker.stats.succeeded == worker.stats.dead_lettered == 0
            assert "429" in worker.stats.last_error or "TOO_MANY" in worker.stats.last_error
            es.indices.put_settings(
                index=index, settings={"index.blocks.read_only_allow_delete": None}
            )
            wait_for(lambda: worker.stats.succeeded >= 30, 30, "indexing after unblock", (worker,))
    finally:
        es.indices.put_settings(index=index, settings={"index.blocks.read_only_allow_delete": None})
    assert es_count(es, alias) == 30
    assert worker.stats.dead_lettered == 0
    assert topic_size(kafka, kafka.topics.deadletter) == 0
    assert counters.get("retried_batches", 0) >= 2
    es.close()
