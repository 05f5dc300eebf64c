"""``diplowire index``: the Kafka shell that bulk-writes enriched articles to Elasticsearch."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from elasticsearch import ApiError, Elasticsearch, TransportError

from index.docs import NotIndexable, to_document
from index.es import RETRY_STATUSES, Action, ItemResult, bulk_index, client, ensure_index
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
    WorkerStopped,
    make_consumer,
    make_producer,
    run,
)
from wire.settings import IndexSettings

log = logging.getLogger(__name__)
STAGE = "index"


def make_handler(
    es: Elasticsearch,
    alias: str,
    counters: dict[str, int] | None = None,
    *,
    item_attempts: int = 4,
    item_retry_initial_s: float = 0.2,
) -> Callable[[Sequence[Article]], list[Outcome]]:
    """The bulk step: every article ends indexed, stale (a newer version is there) or poison.

    Items refused with 429/5xx are resent alone with backoff; if some still fail the batch
    raises :class:`TransientError`, so the loop pauses consumption and retries it later (ids and
    versions make the items already written idempotent).
    """
    counters = counters if counters is not None else {}

    def count(key: str) -> None:
        counters[key] = counters.get(key, 0) + 1

    def handle(batch: Sequence[Article]) -> list[Outcome]:
        now = utc_now()
        outcomes: list[Outcome] = [None] * len(batch)
        actions: list[Action] = []
        positions: list[int] = []
        for i, art in enumerate(batch):
            try:
                doc = to_document(art, now)
            except NotIndexable as exc:
                outcomes[i] = Poison("not_indexable", str(exc))
                continue
            # External versioning: a replay (same version) rewrites, an older one is refused.
            meta = {"_index": alias, "_id": art.id, "version": art.version}
            actions.append(({**meta, "version_type": "external_gte"}, doc))
            positions.append(i)
        if not actions:
            return outcomes
        try:
            # require_alias: a deleted alias must not silently become an auto-created index.
            results = bulk_index(
                es,
                actions,
                attempts=item_attempts,
                initial_delay_s=item_retry_initial_s,
                require_alias=True,
            )
        except (TransportError, ApiError) as exc:
            count("unreachable")
            raise TransientError(f"Elasticsearch bulk failed: {exc}") from exc
        still_failing: list[str] = []
        for pos, res in zip(positions, results, strict=True):
            if res.status < 300:
                count("indexed")
            elif res.status == 409:
                # A newer version is already there: this one must not overwrite it.
                count("stale")
            elif res.status in RETRY_STATUSES or _alias_missing(res):
                still_failing.append(res.reason)
            else:
                count("rejected")
                err_type = (res.error or {}).get("type", res.status)
                outcomes[pos] = Poison(
                    f"es_{err_type}",
                    f"Elasticsearch refused the document ({res.status}): {res.reason}",
                )
        if still_failing:
            count("retried_batches")
            raise TransientError(
                f"{len(still_failing)} bulk items still refused after {item_attempts} attempts: "
                f"{still_failing[0]}"
            )
        return outcomes

    return handle


def _alias_missing(res: ItemResult) -> bool:
    return res.status == 404 and "index_not_found" in str((res.error or {}).get("type", ""))


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
            make_handler(es, alias, counters, item_attempts=settings.bulk_item_attempts),
            DeadLetters(
                producer,
                topics.deadletter,
                STAGE,
                max_value_bytes=settings.kafka.max_message_bytes - 16_384,
            ),
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
            return ensure_index(
                es, settings.elasticsearch.index_prefix, auto_migrate=settings.auto_migrate
            )
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


def replay(settings: IndexSettings, since_ms: int | None = None) -> dict[str, int]:
    """Rewind the indexer's group to the start of the enriched topic (or to ``since_ms``).

    The other way to rebuild an index (after :func:`index.es.migrate` or a lost cluster): the
    next ``diplowire index`` re-reads the topic; ids and versions keep the count unchanged. The
    indexer must be stopped (Kafka refuses to move the offsets of a group with live members).
    """
    from kafka import KafkaConsumer, TopicPartition
    from kafka.admin import KafkaAdminClient, OffsetSpec, OffsetTimestamp

    topics = settings.kafka.topics
    probe = KafkaConsumer(**settings.kafka.client_config())
    try:
        parts = probe.partitions_for_topic(topics.enriched) or set()
    finally:
        probe.close()
    spec = OffsetSpec.EARLIEST if since_ms is None else OffsetTimestamp(since_ms)
    admin = KafkaAdminClient(**settings.kafka.client_config())
    try:
        result = admin.reset_group_offsets(
            topics.group("index"), {TopicPartition(topics.enriched, p): spec for p in parts}
        )
    finally:
        admin.close()
    failed = {tp: r["error"] for tp, r in result.items() if r["error"].errno != 0}
    if failed:
        raise WorkerStopped(f"could not rewind {topics.group('index')} (is it stopped?): {failed}")
    return {f"{tp.topic}[{tp.partition}]": r["offset"] for tp, r in result.items()}
