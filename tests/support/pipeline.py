"""The end-to-end tests' two steps on the real stack: poll a folder of feeds served over local
HTTP once, then run the enricher and indexer until every published article is in Elasticsearch."""

from __future__ import annotations

from pathlib import Path

from elasticsearch import Elasticsearch

from diplowire.enrich.worker import run_worker as run_enrich
from diplowire.index.worker import run_worker as run_index
from diplowire.ingest.feeds import Feed, load_feeds
from diplowire.ingest.poller import poll_once
from diplowire.ingest.report import PollReport
from diplowire.ingest.state import FileStateStore
from diplowire.sampleserver import FeedServer
from diplowire.wire.loop import Stats, make_producer
from diplowire.wire.settings import (
    ElasticsearchSettings,
    EnrichSettings,
    IndexSettings,
    KafkaSettings,
    LoopSettings,
    PollSettings,
)
from tests.support import WorkerThread, es_count, wait_for


def poll_folder(
    kafka: KafkaSettings, feed_dir: Path, state_dir: Path
) -> tuple[list[Feed], PollReport]:
    """One pass over ``feed_dir/feeds.yaml``, served from ``feed_dir`` on loopback."""
    settings = PollSettings(kafka=kafka, state_dir=str(state_dir), allow_addresses=("127.0.0.1",))
    with FeedServer(feed_dir) as server:
        feeds = load_feeds(feed_dir / "feeds.yaml", base_url=server.base_url)
        producer = make_producer(kafka)
        try:
            report = poll_once(feeds, settings, producer, FileStateStore(state_dir))
        finally:
            producer.close()
    return feeds, report


def enrich_and_index(
    kafka: KafkaSettings,
    es_settings: ElasticsearchSettings,
    loop: LoopSettings,
    published: int,
    timeout_s: float = 240,
) -> tuple[Elasticsearch, Stats, Stats]:
    """Enricher and indexer threads until ``published`` articles are indexed; their stats after."""
    es = Elasticsearch(es_settings.url)
    alias = es_settings.index_prefix
    enricher = WorkerThread(run_enrich, EnrichSettings(kafka=kafka, loop=loop))
    indexer = WorkerThread(
        run_index, IndexSettings(kafka=kafka, loop=loop, elasticsearch=es_settings)
    )
    with enricher, indexer:
        wait_for(
            lambda: es_count(es, alias) >= published,
            timeout_s,
            "every article indexed",
            (enricher, indexer),
        )
    return es, enricher.stats, indexer.stats
