"""``diplowire enrich``: the Kafka shell around :func:`enrich.pipeline.enrich_batch`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from kafka import KafkaProducer
from kafka.errors import KafkaError, MessageSizeTooLargeError

from enrich import nlp
from enrich.pipeline import enrich_batch
from wire import topics as t
from wire.admin import ensure_topics
from wire.article import Article, encode
from wire.loop import (
    Outcome,
    Poison,
    Stats,
    StopFlag,
    TransientError,
    make_producer,
    run_stage,
)
from wire.settings import EnrichSettings

log = logging.getLogger(__name__)
STAGE = "enrich"


def make_handler(
    producer: KafkaProducer, topic: str, settings: EnrichSettings
) -> Callable[[Sequence[Article]], list[Outcome]]:
    def handle(batch: Sequence[Article]) -> list[Outcome]:
        results = enrich_batch(batch, max_text_chars=settings.max_text_chars)
        outcomes: list[Outcome] = []
        sent = []
        for res in results:
            if isinstance(res, Poison):
                outcomes.append(res)
                continue
            outcomes.append(None)
            fut = producer.send(
                topic,
                key=res.id.encode(),
                value=encode(res),
                headers=[(t.H_SCHEMA_VERSION, str(res.schema_version).encode())],
            )
            sent.append((len(outcomes) - 1, fut))
        producer.flush(timeout=60)
        for pos, fut in sent:
            try:
                fut.get(timeout=0)
            except MessageSizeTooLargeError as exc:
                outcomes[pos] = Poison("oversized", f"enriched message too large for Kafka: {exc}")
            except KafkaError as exc:
                # The whole batch is retried; duplicates downstream are harmless (idempotent ids).
                raise TransientError(f"enriched topic did not acknowledge: {exc}") from exc
        return outcomes

    return handle


def run_worker(
    settings: EnrichSettings,
    stop: StopFlag,
    stats: Stats | None = None,
    on_batch: Callable[[Stats], None] | None = None,
) -> Stats:
    topics = settings.kafka.topics
    nlp.blas_threads = settings.blas_threads
    ensure_topics(settings.kafka)
    producer = make_producer(settings.kafka)
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
    finally:
        producer.close(timeout=30)
