"""Shared by the index tests: real enriched articles (fixtures/build.py) and ways to feed them."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

from elasticsearch import Elasticsearch

from diplowire.index.docs import to_document
from diplowire.index.layout import index_name
from diplowire.index.mapping import PROPERTIES, template_body
from diplowire.index.migrate import ensure_index
from diplowire.index.worker import make_handler
from diplowire.wire.admin import ensure_topics
from diplowire.wire.article import Article, decode, encode, replace
from diplowire.wire.clock import utc_now
from diplowire.wire.loop import make_producer
from diplowire.wire.settings import ElasticsearchSettings, KafkaSettings

FIXTURE = Path(__file__).with_name("fixtures") / "enriched.jsonl"

LONG_ID = "a" * 600
"""Over Elasticsearch's 512-byte ``_id`` limit: the whole bulk request fails its validation."""


@cache
def _fixture() -> tuple[Article, ...]:
    return tuple(decode(line) for line in FIXTURE.read_bytes().splitlines() if line.strip())


def articles() -> list[Article]:
    """107 real articles (5 feeds + the diplomatic dev set) as the enricher made them."""
    return list(_fixture())


def fresh(arts: Iterable[Article]) -> list[Article]:
    """Stamped as if fetched, produced and enriched just now (for freshness figures)."""
    now = utc_now()
    return [
        replace(a, timestamps=replace(a.timestamps, fetched=now, produced=now, enriched=now))
        for a in arts
    ]


def produce(
    kafka: KafkaSettings, arts: Sequence[Article], raw: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    """Write articles (and raw key/value pairs) to the enriched topic, in order, one partition."""
    ensure_topics(kafka)
    producer = make_producer(kafka)
    try:
        for art in arts:
            # One partition keeps the order the test relies on (older/newer versions, batches).
            producer.send(
                kafka.topics.enriched, key=art.id.encode(), value=encode(art), partition=0
            )
        for key, value in raw:
            producer.send(kafka.topics.enriched, key=key, value=value, partition=0)
        producer.flush(timeout=30)
    finally:
        producer.close(timeout=30)


def index_directly(es_settings: ElasticsearchSettings, arts: Sequence[Article]) -> Elasticsearch:
    """Index through the indexer's own handler (no Kafka): for search and Kibana tests."""
    es = Elasticsearch(es_settings.url)
    alias = ensure_index(es, es_settings.index_prefix)
    handle = make_handler(es, alias)
    for start in range(0, len(arts), 200):
        outcomes = handle(arts[start : start + 200])
        assert all(o is None for o in outcomes), [o for o in outcomes if o]
    es.indices.refresh(index=alias)
    return es


V2_ONLY = ("organization_labels", "stage_ms")
"""The fields mapping v2 added: left out of :func:`old_index`."""


def old_index(es: Elasticsearch, prefix: str, n: int) -> list[str]:
    """The index as mapping v1 made it: without the fields v2 added, behind the alias."""
    props = {k: v for k, v in copy.deepcopy(PROPERTIES).items() if k not in V2_ONLY}
    body = template_body(prefix)["template"]
    body["mappings"]["properties"] = props
    old = index_name(prefix, 1)
    es.indices.create(
        index=old, settings=body["settings"], mappings=body["mappings"], aliases={prefix: {}}
    )
    arts = articles()[:n]
    arts[0] = replace(arts[0], version=3)
    ops: list[dict[str, object]] = []
    for art in arts:
        doc = {
            k: v for k, v in to_document(art, "2025-01-15T10:00:05Z").items() if k not in V2_ONLY
        }
        meta = {"_index": old, "_id": art.id, "version": art.version, "version_type": "external"}
        ops += [{"index": meta}, doc]
    resp = es.bulk(operations=ops, refresh=True)
    assert not resp["errors"]
    return [a.id for a in arts]
