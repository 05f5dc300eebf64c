"""``diplowire enrich``: the Kafka shell around :func:`enrich.pipeline.enrich_batch`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from kafka import KafkaProducer
from kafka.errors import KafkaError, KafkaTimeoutError, MessageSizeTooLargeError
from kafka.record.default_records import DefaultRecordBatchBuilder

from diplowire.enrich import nlp
from diplowire.enrich.pipeline import enrich_batch
from diplowire.wire import topics as t
from diplowire.wire.admin import ensure_topics, forget_topic_limits, record_limits
from diplowire.wire.article import Article, encode
from diplowire.wire.loop import (
    Outcome,
    Poison,
    Stats,
    StopFlag,
    TransientError,
    WorkerStopped,
    make_producer,
    run_stage,
)
from diplowire.wire.settings import EnrichSettings
from diplowire.wire.startup import StartupStopped, wait_for_kafka

log = logging.getLogger(__name__)
STAGE = "enrich"


def make_handler(
    producer: KafkaProducer, topic: str, settings: EnrichSettings, flush_timeout_s: float = 60.0
) -> Callable[[Sequence[Article]], list[Outcome]]:
    def handle(batch: Sequence[Article]) -> list[Outcome]:
        results = enrich_batch(batch, max_text_chars=settings.max_text_chars)
        # Enrichment can make an article several times larger than the raw message the raw topic
        # took: each record is checked before it is sent, as a broker's refusal would leave
        # kafka-python's idempotent producer unusable (see wire.admin.record_limits).
        limit = record_limits(producer, settings.kafka, (topic,))[topic]
        outcomes: list[Outcome] = []
        sent = []
        for res in results:
            if isinstance(res, Poison):
                outcomes.append(res)
                continue
            key, value = res.id.encode(), encode(res)
            headers = [(t.H_SCHEMA_VERSION, str(res.schema_version).encode())]
            size = DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, headers)
            if size > limit:
                outcomes.append(
                    Poison(
                        "oversized",
                        f"enriched article {res.id} is {size} bytes, over the {limit}-byte "
                        f"record limit of {topic} (its max.message.bytes, or the producer's "
                        f"max_request_size)",
                    )
                )
                continue
            outcomes.append(None)
            fut = producer.send(topic, key=key, value=value, headers=headers)
            sent.append(fut)
        try:
            producer.flush(timeout=flush_timeout_s)
        except KafkaTimeoutError as exc:
            # A broker that is slow or short of in-sync replicas: the batch is retried after a
            # pause, like any unacknowledged send (a duplicate downstream is harmless).
            raise TransientError(
                f"{topic} did not acknowledge within {flush_timeout_s:.0f} s: {exc}"
            ) from exc
        refused: KafkaError | None = None
        for fut in sent:
            try:
                fut.get(timeout=0)
            except MessageSizeTooLargeError as exc:
                refused = exc
            except KafkaError as exc:
                refused = refused or exc
        if isinstance(refused, MessageSizeTooLargeError):
            # The limit in use was wrong (unreadable, or lowered since it was read) and the
            # producer now fails every send: retrying would spin forever. Nothing of the batch
            # is committed; a restarted worker reads the limit again and dead-letters the record.
            forget_topic_limits()
            raise WorkerStopped(
                f"{topic} refused a record as too large for a {limit}-byte limit; the producer "
                f"is unusable and the worker must be restarted: {refused}"
            ) from refused
        if refused is not None and not refused.retriable:
            # kafka-python's idempotent producer treats every non-retriable error (no write
            # permission, a record the broker rejects...) as fatal: it fails all later sends too.
            raise WorkerStopped(
                f"{topic} refused the batch ({type(refused).__name__}); the producer is unusable "
                f"and the worker must be restarted: {refused}"
            ) from refused
        if refused is not None:
            # The whole batch is retried; duplicates downstream are harmless (idempotent ids).
            raise TransientError(f"enriched topic did not acknowledge: {refused}") from refused
        return outcomes

    return handle


def run_worker(
    settings: EnrichSettings,
    stop: StopFlag,
    stats: Stats | None = None,
    on_batch: Callable[[Stats], None] | None = None,
) -> Stats:
    """Enrich until ``stop`` is set. Waits for Kafka first (:mod:`wire.startup`): a stop meanwhile
    returns at once, ``loop.startup_timeout_s`` raises :class:`~wire.startup.StartupTimeout`."""
    topics = settings.kafka.topics
    stats = stats if stats is not None else Stats()
    nlp.blas_threads = settings.blas_threads

    def connect() -> KafkaProducer:
        ensure_topics(settings.kafka)
        return make_producer(settings.kafka)

    try:
        producer = wait_for_kafka(
            settings.kafka, stop, connect, timeout_s=settings.loop.startup_timeout_s, logger=log
        )
    except StartupStopped:
        return stats
    try:
        return run_stage(
            settings.kafka,
            settings.loop,
            stage=STAGE,
            source=topics.raw,
            handle=make_handler(producer, topics.enriched, settings),
            producer=producer,
            stop=stop,
            stats=stats,
            on_batch=on_batch,
        )
    except StartupStopped:
        return stats  # stopped before the consumer joined: nothing consumed, nothing to commit
    finally:
        producer.close(timeout=30)
