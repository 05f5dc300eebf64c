"""``diplowire index``: the Kafka shell that bulk-writes enriched articles to Elasticsearch."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from enum import StrEnum
from typing import Any, cast

import msgspec
from elasticsearch import ApiError, Elasticsearch, TransportError
from kafka import KafkaProducer

from diplowire.index.bulk import Action, ItemKind, bulk_index
from diplowire.index.docs import NotIndexable, document, epoch_ms
from diplowire.index.layout import client
from diplowire.index.migrate import IndexVersionError, ensure_index
from diplowire.wire import observe
from diplowire.wire.admin import ensure_topics
from diplowire.wire.article import Article
from diplowire.wire.clock import utc_now
from diplowire.wire.loop import Stats, StopFlag, make_producer, run_stage
from diplowire.wire.outcomes import Outcome, Poison, Start, TransientError, WorkerStopped
from diplowire.wire.settings import IndexSettings
from diplowire.wire.startup import StartupStopped, es_unavailable, wait_for, wait_for_kafka

log = logging.getLogger(__name__)
_encode = msgspec.json.Encoder().encode
STAGE = "index"


class Refusal(StrEnum):
    """dw-error labels of the indexer's own dead letters. A document the index refuses alone
    (mapping, parsing) is labelled ``es_`` + Elasticsearch's error type instead."""

    NOT_INDEXABLE = "not_indexable"
    """No enrichment block: not a message of the enriched topic."""
    REQUEST_REJECTED = "es_request_rejected"
    """Its bulk request was refused as a whole, even with this article alone in it (an ``_id``
    or version Elasticsearch cannot take, a document over ``http.max_content_length``)."""


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
    versions make the items already written idempotent). A bulk request refused as a whole (400,
    413) is not an outage: it is split until the articles that cause it are found, and those are
    dead-lettered as :attr:`Refusal.REQUEST_REJECTED` (see :func:`index.bulk.bulk_index`).
    """
    prepare, send = _bulk_steps(es, alias, counters, item_attempts, item_retry_initial_s)

    def handle(batch: Sequence[Article]) -> list[Outcome]:
        return send(*prepare(batch))

    return handle


def make_overlapped_handler(
    es: Elasticsearch,
    alias: str,
    sender: Executor,
    counters: dict[str, int] | None = None,
    *,
    item_attempts: int = 4,
    item_retry_initial_s: float = 0.2,
) -> Callable[[Sequence[Article]], list[Outcome] | Start]:
    """:func:`make_handler` in two steps for :func:`wire.loop.run`: documents and their JSON are
    built in the caller's thread, and the returned :data:`~wire.loop.Start` sends the bulk
    request on ``sender`` (one thread), so the loop prepares the next batch while Elasticsearch
    indexes this one."""
    prepare, send = _bulk_steps(es, alias, counters, item_attempts, item_retry_initial_s)

    def handle(batch: Sequence[Article]) -> list[Outcome] | Start:
        outcomes, actions, positions = prepare(batch)
        if not actions:
            return outcomes

        def start() -> Future[Sequence[Outcome]]:
            future = sender.submit(send, outcomes, actions, positions)
            return cast("Future[Sequence[Outcome]]", future)

        return Start(start)

    return handle


_Prepared = tuple[list[Outcome], list[Action], list[int]]


def _bulk_steps(
    es: Elasticsearch,
    alias: str,
    counters: dict[str, int] | None,
    item_attempts: int,
    item_retry_initial_s: float,
) -> tuple[Callable[[Sequence[Article]], _Prepared], Callable[..., list[Outcome]]]:
    counters = counters if counters is not None else {}

    def count(key: str) -> None:
        counters[key] = counters.get(key, 0) + 1

    def prepare(batch: Sequence[Article]) -> _Prepared:
        now = utc_now()
        now_ms = epoch_ms(now)
        outcomes: list[Outcome] = [None] * len(batch)
        actions: list[Action] = []
        positions: list[int] = []
        for i, art in enumerate(batch):
            try:
                # Encoded here, once: bulk_index's msgspec encoder copies Raw bytes as they are.
                doc: Any = msgspec.Raw(_encode(document(art, now, now_ms)))
            except NotIndexable as exc:
                outcomes[i] = Poison(Refusal.NOT_INDEXABLE, str(exc))
                continue
            # External versioning: a replay (same version) rewrites, an older one is refused.
            meta = {"_index": alias, "_id": art.id, "version": art.version}
            actions.append(({**meta, "version_type": "external_gte"}, doc))
            positions.append(i)
        return outcomes, actions, positions

    def send(outcomes: list[Outcome], actions: list[Action], positions: list[int]) -> list[Outcome]:
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
            kind = res.kind
            if kind is ItemKind.WRITTEN:
                count("indexed")
            elif kind is ItemKind.STALE:
                # A newer version is already there: this one must not overwrite it.
                count("stale")
            elif kind is ItemKind.RETRY:
                still_failing.append(res.reason)
            elif kind is ItemKind.REQUEST_REFUSED:
                count("request_rejected")
                outcomes[pos] = Poison(
                    Refusal.REQUEST_REJECTED,
                    f"Elasticsearch refused a bulk request holding only this article "
                    f"({res.status}): {res.reason}",
                )
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

    return prepare, send


def run_worker(
    settings: IndexSettings,
    stop: StopFlag,
    stats: Stats | None = None,
    on_batch: Callable[[Stats], None] | None = None,
    counters: dict[str, int] | None = None,
) -> Stats:
    """Index until ``stop`` is set. Waits for Kafka, then Elasticsearch (:mod:`wire.startup`): a
    stop meanwhile returns at once, ``loop.startup_timeout_s`` raises
    :class:`~wire.startup.StartupTimeout`."""
    stats = stats if stats is not None else Stats()
    # Ready once Kafka and Elasticsearch answered (wire/observe.py); serves if observe.port.
    obs = observe.start(STAGE, settings.observe, ("kafka", "elasticsearch"), freshness=True)
    try:
        return _run(settings, stop, stats, on_batch, counters, obs)
    finally:
        obs.close()


def _run(
    settings: IndexSettings,
    stop: StopFlag,
    stats: Stats,
    on_batch: Callable[[Stats], None] | None,
    counters: dict[str, int] | None,
    obs: observe.Observer,
) -> Stats:
    topics = settings.kafka.topics
    timeout_s = settings.loop.startup_timeout_s

    def connect() -> KafkaProducer:
        ensure_topics(settings.kafka)
        return make_producer(settings.kafka)

    try:
        producer = wait_for_kafka(settings.kafka, stop, connect, timeout_s=timeout_s, logger=log)
    except StartupStopped:
        return stats
    obs.condition("kafka", True)
    es = client(settings.elasticsearch)
    try:
        alias = _ensure_with_retry(es, settings, stop)
        obs.condition("elasticsearch", True)
    except StartupStopped:
        producer.close(timeout=30)
        es.close()
        return stats
    except BaseException:
        producer.close(timeout=30)
        es.close()
        raise
    # One thread sends the bulk requests, one at a time, beside the loop's thread.
    sender = ThreadPoolExecutor(1, thread_name_prefix="index-bulk")
    # Everything alive now (modules, clients) lives as long as the worker: keep it out of the
    # collector's full passes, which otherwise rescan it every few batches (~20% of the CPU time).
    gc.freeze()
    try:
        return run_stage(
            settings.kafka,
            settings.loop,
            stage=STAGE,
            source=topics.enriched,
            handle=make_overlapped_handler(
                es, alias, sender, counters, item_attempts=settings.bulk_item_attempts
            ),
            producer=producer,
            stop=stop,
            stats=stats,
            on_batch=on_batch,
            observer=obs,
        )
    except StartupStopped:
        return stats  # stopped before the consumer joined: nothing consumed, nothing to commit
    finally:
        # A bulk still running (the loop stopped on an error) ends before the client closes.
        sender.shutdown(wait=True, cancel_futures=True)
        producer.close(timeout=30)
        es.close()


def _ensure_with_retry(es: Elasticsearch, settings: IndexSettings, stop: StopFlag) -> str:
    """The alias, once Elasticsearch answers; waits like every dependency (wire.startup).

    A bad request or missing rights (400/401/403) will not heal by waiting: raised at once.
    """
    try:
        return wait_for(
            "Elasticsearch",
            settings.elasticsearch.url,
            lambda: ensure_index(
                es,
                settings.elasticsearch.index_prefix,
                auto_migrate=settings.auto_migrate,
                stopping=stop.is_set,
            ),
            stop,
            unavailable=es_unavailable,
            timeout_s=settings.loop.startup_timeout_s,
            logger=log,
        )
    except IndexVersionError as exc:
        if stop.is_set():
            # SIGTERM while another indexer migrates: a stop, not a failure.
            raise StartupStopped(str(exc)) from exc
        raise


def replay(settings: IndexSettings, since_ms: int | None = None) -> dict[str, int]:
    """Rewind the indexer's group to the start of the enriched topic (or to ``since_ms``).

    The other way to rebuild an index (after :func:`index.migrate.migrate` or a lost cluster): the
    next ``diplowire index`` re-reads the topic; ids and versions keep the count unchanged. The
    indexer must be stopped (Kafka refuses to move the offsets of a group with live members).
    """
    from diplowire.wire.admin import RewindError, rewind_group

    topics = settings.kafka.topics
    try:
        return rewind_group(settings.kafka, topics.group("index"), topics.enriched, since_ms)
    except RewindError as exc:
        raise WorkerStopped(str(exc)) from exc
