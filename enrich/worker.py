"""``diplowire enrich``: the Kafka shell around :func:`enrich.pipeline.enrich_batch`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from kafka import KafkaProducer
from kafka.errors import KafkaTimeoutError

from diplowire.enrich import nlp
from diplowire.enrich.pipeline import enrich_batch
from diplowire.wire import observe
from diplowire.wire.admin import SHARED_LIMITS, TopicLimits, ensure_topics
from diplowire.wire.article import Article
from diplowire.wire.loop import Stats, StopFlag, make_producer, run_stage
from diplowire.wire.outcomes import Outcome, Poison, TransientError, WorkerStopped
from diplowire.wire.publisher import Oversized, Publisher, RefusalKind, Refused, Sent
from diplowire.wire.settings import EnrichSettings
from diplowire.wire.startup import StartupStopped, wait_for_kafka

log = logging.getLogger(__name__)
STAGE = "enrich"


def make_handler(
    producer: KafkaProducer,
    topic: str,
    settings: EnrichSettings,
    flush_timeout_s: float = 60.0,
    limits: TopicLimits = SHARED_LIMITS,
    models: nlp.Models | None = None,
) -> Callable[[Sequence[Article]], list[Outcome]]:
    publisher = Publisher(producer, settings.kafka, limits)

    def handle(batch: Sequence[Article]) -> list[Outcome]:
        results = enrich_batch(batch, max_text_chars=settings.max_text_chars, models=models)
        # Enrichment can make an article several times larger than the raw message the raw topic
        # took: each record is checked before it is sent (see wire.publisher).
        limit = publisher.record_limit(topic)
        outcomes: list[Outcome] = []
        sent: list[Sent] = []
        for res in results:
            if isinstance(res, Poison):
                outcomes.append(res)
                continue
            out = publisher.send(topic, res, limit)
            if isinstance(out, Oversized):
                outcomes.append(
                    Poison(
                        "oversized",
                        f"enriched article {res.id} is {out.size} bytes, over the {out.limit}-byte "
                        f"record limit of {topic} (its max.message.bytes, or the producer's "
                        f"max_request_size)",
                    )
                )
                continue
            if isinstance(out, Refused):
                # Not sent at all (no broker within max_block_ms): raised, as before the
                # publisher existed; the worker stops and its batch is read again.
                raise out.error
            outcomes.append(None)
            sent.append(out)
        try:
            producer.flush(timeout=flush_timeout_s)
        except KafkaTimeoutError as exc:
            # A broker that is slow or short of in-sync replicas: the batch is retried after a
            # pause, like any unacknowledged send (a duplicate downstream is harmless).
            raise TransientError(
                f"{topic} did not acknowledge within {flush_timeout_s:.0f} s: {exc}"
            ) from exc
        refusals = [r for r in map(publisher.acknowledged, sent) if r is not None]
        too_large = next((r for r in refusals if r.kind is RefusalKind.TOO_LARGE), None)
        if too_large is not None:
            # The limit in use was wrong (unreadable, or lowered since it was read) and the
            # producer now fails every send: retrying would spin forever. Nothing of the batch
            # is committed; a restarted worker reads the limit again and dead-letters the record.
            publisher.forget_limits()
            raise WorkerStopped(
                f"{topic} refused a record as too large for a {limit}-byte limit; the producer "
                f"is unusable and the worker must be restarted: {too_large.error}"
            ) from too_large.error
        refused = refusals[0] if refusals else None
        if refused is not None and refused.kind is RefusalKind.FATAL:
            # kafka-python's idempotent producer treats every non-retriable error (no write
            # permission, a record the broker rejects...) as fatal: it fails all later sends too.
            raise WorkerStopped(
                f"{topic} refused the batch ({type(refused.error).__name__}); the producer is "
                f"unusable and the worker must be restarted: {refused.error}"
            ) from refused.error
        if refused is not None:
            # The whole batch is retried; duplicates downstream are harmless (idempotent ids).
            raise TransientError(
                f"enriched topic did not acknowledge: {refused.error}"
            ) from refused.error
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
    # This process's pipelines, loaded on the first batch with the settings' BLAS thread cap.
    models = nlp.Models(blas_threads=settings.blas_threads, names=settings.models.by_lang())

    def connect() -> KafkaProducer:
        ensure_topics(settings.kafka)
        return make_producer(settings.kafka)

    obs = observe.start(STAGE, settings.observe)
    try:
        producer = wait_for_kafka(
            settings.kafka, stop, connect, timeout_s=settings.loop.startup_timeout_s, logger=log
        )
    except StartupStopped:
        obs.close()
        return stats
    except BaseException:
        obs.close()
        raise
    try:
        return run_stage(
            settings.kafka,
            settings.loop,
            stage=STAGE,
            source=topics.raw,
            handle=make_handler(producer, topics.enriched, settings, models=models),
            producer=producer,
            stop=stop,
            stats=stats,
            on_batch=on_batch,
            observer=obs,
        )
    except StartupStopped:
        return stats  # stopped before the consumer joined: nothing consumed, nothing to commit
    finally:
        producer.close(timeout=30)
        obs.close()
