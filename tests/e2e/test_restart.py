"""SIGTERM makes each worker drain, flush and commit; restarts end with every article once."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from elasticsearch import Elasticsearch

from diplowire.ingest.report import PollReport
from diplowire.sampleserver import SAMPLE_DIR
from diplowire.wire.settings import ElasticsearchSettings, KafkaSettings
from tests.support import committed, es_count, read_topic, topic_size, wait_for
from tests.support.pipeline import poll_folder
from tests.support.workers import start_worker, stop_worker


def _poll_part(kafka: KafkaSettings, tmp_path: Path, name: str, urls: set[str]) -> PollReport:
    """One pass over the sample feeds whose URL is in ``urls`` (a feed list of their own)."""
    folder = tmp_path / name
    folder.mkdir()
    doc = yaml.safe_load((SAMPLE_DIR / "feeds.yaml").read_text())
    doc["feeds"] = [f for f in doc["feeds"] if f["url"] in urls]
    for f in doc["feeds"]:
        shutil.copy(SAMPLE_DIR / f["url"], folder / f["url"])
    (folder / "feeds.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))
    return poll_folder(kafka, folder, tmp_path / f"state-{name}")[1]


def test_sigterm_and_restart_mid_stream_index_every_article_once(
    kafka: KafkaSettings,
    es_settings: ElasticsearchSettings,
    tmp_path: Path,
) -> None:
    # The stream comes in two parts: the enricher is stopped after the first one is (partly)
    # through and before the second one is published, so the SIGTERM lands mid-stream on a fast
    # machine as well (with the whole stream published at once, a fast enricher had sometimes
    # committed all of it before the SIGTERM came, and "mid-stream" failed).
    later = {"heise-developer-atom.xml", "un-news-europe.xml"}
    all_urls = {f["url"] for f in yaml.safe_load((SAMPLE_DIR / "feeds.yaml").read_text())["feeds"]}
    first = _poll_part(kafka, tmp_path, "first", all_urls - later).published
    assert first >= 20

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
    # Nothing is committed that was not delivered downstream first.
    assert 0 < enrich_committed <= produced and enrich_committed <= first

    total = first + _poll_part(kafka, tmp_path, "later", later).published
    assert total >= 80 and enrich_committed < total
    raw_ids = {r.key.decode() for r in read_topic(kafka, kafka.topics.raw)}
    assert len(raw_ids) == total

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
