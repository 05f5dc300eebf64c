"""Elasticsearch stopped and started while the indexer runs: it pauses, resumes, loses nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch
from kafka.admin import KafkaAdminClient

from diplowire.index.worker import run_worker
from diplowire.wire.settings import (
    ElasticsearchSettings,
    IndexSettings,
    KafkaSettings,
    LoopSettings,
)
from tests.index.helpers import articles, fresh, produce
from tests.support import Stack, WorkerThread, es_count, wait_for
from tests.support.esnode import EsNode


@pytest.fixture
def node(stack: Stack) -> Iterator[EsNode]:
    del stack  # the distribution is unpacked by the shared stack
    es_node = EsNode()
    es_node.start()
    yield es_node
    es_node.destroy()


def test_elasticsearch_stopped_and_started_during_indexing_ends_with_every_article_once(
    kafka: KafkaSettings, node: EsNode, ns: str
) -> None:
    es_settings = ElasticsearchSettings(
        url=node.url, index_prefix=f"{ns}-articles", request_timeout_s=5
    )
    loop = LoopSettings(
        batch_max_records=10, batch_max_wait_ms=100, retry_initial_ms=200, retry_max_ms=1000
    )
    arts = fresh(articles())
    half = len(arts) // 2
    produce(kafka, arts[:half])
    settings = IndexSettings(kafka=kafka, loop=loop, elasticsearch=es_settings)
    es = Elasticsearch(node.url)
    with WorkerThread(run_worker, settings) as worker:
        wait_for(lambda: worker.stats.succeeded >= half, 60, "the first half", (worker,))
        node.stop()
        assert not node.healthy()
        produce(kafka, arts[half:])
        # The indexer notices, pauses and keeps retrying; nothing is dead-lettered or committed.
        wait_for(lambda: worker.stats.retries >= 2, 30, "retries while down", (worker,))
        consumed_while_down = worker.stats.consumed
        assert worker.stats.succeeded == half
        node.start()
        wait_for(lambda: worker.stats.succeeded >= len(arts), 60, "resuming", (worker,))
    assert worker.error is None
    assert worker.stats.dead_lettered == 0
    # Paused, not buffering: at most the one failing batch was read while Elasticsearch was down.
    assert consumed_while_down - half <= loop.batch_max_records
    assert es_count(es, es_settings.index_prefix) == len(arts)
    ids = {h["_id"] for h in es.search(index=es_settings.index_prefix, size=500)["hits"]["hits"]}
    assert ids == {a.id for a in arts}
    admin = KafkaAdminClient(**kafka.client_config())
    offsets = admin.list_group_offsets({kafka.topics.group("index"): None})
    admin.close()
    assert sum(o.offset for o in offsets[kafka.topics.group("index")].values()) == len(arts)
    es.close()
