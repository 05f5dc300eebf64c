"""SIGTERM makes each worker drain, flush and commit; restarts end with every article once."""

from __future__ import annotations

from pathlib import Path

from elasticsearch import Elasticsearch

from diplowire.sampleserver import SAMPLE_DIR
from diplowire.wire.settings import ElasticsearchSettings, KafkaSettings
from tests.support import committed, es_count, read_topic, topic_size, wait_for
from tests.support.pipeline import poll_folder
from tests.support.workers import start_worker, stop_worker


def test_sigterm_and_restart_mid_stream_index_every_article_once(
    kafka: KafkaSettings,
    es_settings: ElasticsearchSettings,
    tmp_path: Path,
) -> None:
    _feeds, report = poll_folder(kafka, SAMPLE_DIR, tmp_path)
    total = report.published
    assert total >= 80
    raw_ids = {r.key.decode() for r in read_topic(kafka, kafka.topics.raw)}
    assert len(raw_ids) == total

    es = Elasticsearch(es_settings.url)
    alias = es_settings.index_prefix
    elog, ilog = tmp_path / "enrich.log", tmp_path / "index.log"
    topics = kafka.topics

    # 1. The enricher is stopped once part of the stream went through.
    enricher = start_worker("enrich", kafka, es_settings, elog)
    wait_for(lambda: topic_size(kafka, topics.enriched) >= 10, 120, "first enriched articles")
    stop_worker(enricher, elog)
    produced = topic_size(kafka, topics.enriched)
    enrich_committed = committed(kafka, topics.group("enrich"))
    assert 0 < enrich_committed < total, "the SIGTERM did not land mid-stream"
    # Nothing is committed that was not delivered downstream first.
    assert enrich_committed <= produced

    # 2. The indexer starts on a partial stream; the enricher comes back.
    indexer = start_worker("index", kafka, es_settings, ilog)
    enricher = start_worker("enrich", kafka, es_settings, elog)
    wait_for(lambda: es_count(es, alias) >= 10, 120, "first indexed articles")
    stop_worker(indexer, ilog)
    indexed_committed = committed(kafka, topics.group("index"))
    assert indexed_committed > 0

    # 3. The indexer restarts; everything drains.
    indexer = start_worker("index", kafka, es_settings, ilog)
    try:
        wait_for(lambda: es_count(es, alias) >= total, 180, "all articles indexed")
        wait_for(
            lambda: committed(kafka, topics.group("enrich")) == total, 60, "enricher caught up"
        )
    finally:
        stop_worker(indexer, ilog)
        stop_worker(enricher, elog)

    # Exactly once in Elasticsearch, whatever was re-read after the restarts.
    assert es_count(es, alias) == total
    ids = {h["_id"] for h in es.search(index=alias, size=1000, source=False)["hits"]["hits"]}
    assert ids == raw_ids
    assert committed(kafka, topics.group("index")) == topic_size(kafka, topics.enriched)
    es.close()
