"""``diplowire index``: the Kafka shell that bulk-writes enriched articles to Elasticsearch."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError

from index.docs import NotIndexable, to_document
from index.es import client, ensure_index
from ingest.normalize import utc_now
from wire.admin import ensure_topics
from wire.article import Article
from wire.loop import (
    DeadLetters,
    Outcome,
    Poison,
    Stats,
    StopFlag,
    TransientError,
    make_consumer,
    make_producer,
    run,
)
from wire.settings import IndexSettings

log = logging.getLogger(__name__)
STAGE = "index"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def make_handler(
    es: Elasticsearch, alias: str, counters: dict[str, int] | None = None
) -> Callable[[Sequence[Article]], list[Outcome]]:
    counters = counters if counters is not None else {}

    def handle(batch: Sequence[Article]) -> list[Outcome]:
        now = utc_now()
        outcomes: list[Outcome] = [None] * len(batch)
        operations: list[dict[str, Any]] = []
        positions: list[int] = []
        for i, art in enumerate(batch):
            try:
                doc = to_document(art, now)
            except NotIndexable as exc:
                outcomes[i] = Poison("not_indexable", str(exc))
                continue
            # External versioning: a replay (same version) rewrites, an older one is refused.
            operations.append(
                {
                    "index": {
                        "_index": alias,
                        "_id": art.id,
                        "version": art.version,
                        "version_type": "external_gte",
                    }
                }
            )
            operations.append(doc)
            positions.append(i)
        if not operations:
            return outcomes
        try:
            resp = es.bulk(operations=operations, refresh=False)
        except (TransportError, ApiError) as exc:
            raise TransientError(f"Elasticsearch bulk failed: {exc}") from exc
        retry: list[str] = []
        for pos, item in zip(positions, resp["items"], strict=True):
            result = item["index"]
            status = int(result.get("status", 500))
            if status < 300:
                counters["indexed"] = counters.get("indexed", 0) + 1
            elif status == 409:
                # A newer version is already there: this one must not overwrite it.
                counters["stale"] = counters.get("stale", 0) + 1
            elif status in RETRY_STATUSES:
                retry.append(f"{status} {result.get('error', {}).get('type', '')}")
            else:
                err = result.get("error", {})
                outcomes[pos] = Poison(
                    f"es_{err.get('type', status)}",
                    f"Elasticsearch refused the document ({status}): {err.get('reason', err)}",
                )
        if retry:
            # The whole batch is retried; ids make the already-written items idempotent.
            raise TransientError(f"{len(retry)} bulk items to retry: {retry[0]}")
        return outcomes

    return handle


def run_worker(
    settings: IndexSettings,
    stop: StopFlag,
    stats: Stats | None = None,
    on_batch: Callable[[Stats], None] | None = None,
    counters: dict[str, int] | None = None,
) -> Stats:
    topics = settings.kafka.topics
    ensure_topics(settings.kafka)
    es = client(settings.elasticsearch)
    alias = _ensure_with_retry(es, settings, stop)
    producer = make_producer(settings.kafka)
    consumer = make_consumer(settings.kafka, settings.loop, topics.group("index"), topics.enriched)
    try:
        return run(
            consumer,
            make_handler(es, alias, counters),
            DeadLetters(producer, topics.deadletter, STAGE,
                        max_value_bytes=settings.kafka.max_message_bytes - 16_384),
            settings.loop,
            stop,
            max_message_bytes=settings.kafka.max_message_bytes,
            stats=stats,
            on_batch=on_batch,
        )
    finally:
        producer.close(timeout=30)
        es.close()


def _ensure_with_retry(es: Elasticsearch, settings: IndexSettings, stop: StopFlag) -> str:
    delay = 0.5
    while True:
        try:
            return ensure_index(es, settings.elasticsearch.index_prefix)
        except (TransportError, ApiError) as exc:
            if stop.is_set() or (isinstance(exc, ApiError) and exc.status_code == 400):
                raise
            log.warning(
                "Elasticsearch not ready at %s (retry in %.1fs): %s",
                settings.elasticsearch.url,
                delay,
                exc,
            )
            stop.wait(delay)
            delay = min(delay * 2, 30)
