"""Feeds over local HTTP -> poll -> Kafka -> enrich -> Kafka -> index -> searchable in ES."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from diplowire.enrich.worker import run_worker as run_enrich
from diplowire.ingest.feeds import load_feeds
from diplowire.ingest.poller import poll_once
from diplowire.ingest.state import FileStateStore
from diplowire.sampleserver import SAMPLE_DIR, FeedServer
from diplowire.wire.article import decode
from diplowire.wire.loop import make_producer
from diplowire.wire.settings import (
    ElasticsearchSettings,
    EnrichSettings,
    KafkaSettings,
    LoopSettings,
    PollSettings,
)
from tests.support import WorkerThread, es_count, read_topic, wait_for
from tests.support.pipeline import enrich_and_index, poll_folder

SCHEMAS = Path(__file__).resolve().parents[2] / "wire" / "schemas"


def test_sample_feeds_end_up_searchable_with_entities(
    kafka: KafkaSettings,
    es_settings: ElasticsearchSettings,
    fast_loop: LoopSettings,
    tmp_path: Path,
) -> None:
    feeds, report = poll_folder(kafka, SAMPLE_DIR, tmp_path / "state")
    assert report.feeds_failed == 0
    assert report.feeds_polled == len(feeds) == 5
    published = report.published
    assert published == report.entries - report.duplicates - report.skipped_entries
    assert published >= 80  # the five real feeds hold 95 items

    es, enriched, indexed = enrich_and_index(kafka, es_settings, fast_loop, published)
    alias = es_settings.index_prefix
    assert es_count(es, alias) == published
    assert enriched.dead_lettered == 0 and indexed.dead_lettered == 0

    # Language detection and the per-language models.
    langs = es.search(index=alias, size=0, aggs={"l": {"terms": {"field": "lang"}}})
    by_lang = {b["key"]: b["doc_count"] for b in langs["aggregations"]["l"]["buckets"]}
    assert by_lang.get("fr", 0) >= 35 and by_lang.get("en", 0) >= 35
    assert by_lang.get("de") == 15, by_lang  # heise passes through with its language set

    # A known Reuters story is found by a lemma query and carries its entities.
    hits = es.search(index=alias, query={"match_phrase": {"title": "withdrawal of Turkish forces"}})
    doc = hits["hits"]["hits"][0]["_source"]
    names = {e["text"] for e in doc["enrichment"]["entities"]}
    assert {"Iraq", "Turkey"} <= names, names
    assert hits["hits"]["hits"][0]["_id"] == doc["id"]
    lemma_hits = es.search(index=alias, query={"match": {"lemmas": "withdraw"}})
    assert doc["id"] in {h["_id"] for h in lemma_hits["hits"]["hits"]}

    # French: "ambassadeurs" and "ambassadeur" meet on the lemma field.
    plural = es.search(index=alias, query={"match": {"text": "ambassadeurs"}}, size=100)
    lemma = es.search(index=alias, query={"match": {"lemmas": "ambassadeur"}}, size=100)
    assert {h["_id"] for h in plural["hits"]["hits"]} <= {h["_id"] for h in lemma["hits"]["hits"]}

    # Freshness and stage timestamps are recorded on every document.
    missing = es.count(
        index=alias,
        query={
            "bool": {
                "must_not": [
                    {"exists": {"field": "timestamps.indexed"}},
                ]
            }
        },
    )["count"]
    assert missing == 0
    es.close()


def test_plain_consumer_reads_messages_matching_published_schema(
    kafka: KafkaSettings,
    fast_loop: LoopSettings,
    tmp_path: Path,
) -> None:
    raw_schema = json.loads((SCHEMAS / "article-raw.v1.schema.json").read_text())
    enriched_schema = json.loads((SCHEMAS / "article-enriched.v1.schema.json").read_text())
    with FeedServer(SAMPLE_DIR) as server:
        feeds = load_feeds(SAMPLE_DIR / "feeds.yaml", base_url=server.base_url)[:2]
        producer = make_producer(kafka)
        report = poll_once(
            feeds,
            PollSettings(kafka=kafka, allow_addresses=("127.0.0.1",)),
            producer,
            FileStateStore(tmp_path),
        )
        producer.close()
    with WorkerThread(run_enrich, EnrichSettings(kafka=kafka, loop=fast_loop)) as enricher:
        wait_for(
            lambda: enricher.stats.succeeded >= report.published, 120, "enrichment", (enricher,)
        )

    raw = read_topic(kafka, kafka.topics.raw)
    enriched = read_topic(kafka, kafka.topics.enriched)
    assert len(raw) == report.published == 40
    assert len(enriched) == report.published
    for rec in raw:
        jsonschema.validate(json.loads(rec.value), raw_schema)
    for rec in enriched:
        obj = json.loads(rec.value)
        jsonschema.validate(obj, enriched_schema)
        # Keyed by the stable article id, so one article always lands on one partition.
        assert rec.key.decode() == obj["id"]
        assert dict(rec.headers)["dw-schema-version"] == b"1"
    # And the raw messages are not enriched ones.
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(json.loads(raw[0].value), enriched_schema)
    assert decode(enriched[0].value).enrichment is not None
