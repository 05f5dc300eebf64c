"""Hostile messages for the stages after the poller: what someone with write access to a topic
(or a buggy producer) could put on the raw or the enriched topic.

Each row is one message and the dead-letter label (``dw-error``) its stage must give it: the
enricher reads the raw topic, the indexer the enriched one, and both must dead-letter, never
index nor stop on, an article Elasticsearch cannot store (``version`` < 1, an ``id`` over 512
bytes, an ``id`` that is a path: ``../../_cluster/settings``) and the usual poison. The messages
are one real enriched article (tests/index/fixtures/enriched.jsonl) with one field made hostile.

A stage case runs the real worker (:func:`run_stage_job`) in a forked child of the corpus runner:
one child per stage reads every hostile message of its topic, so the time and memory bounds are
per stage, around the worker from its start to the last dead letter.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from diplowire.wire.admin import ensure_topics
from diplowire.wire.loop import Stats, StopFlag, make_producer
from diplowire.wire.settings import (
    ElasticsearchSettings,
    EnrichSettings,
    IndexSettings,
    KafkaSettings,
    LoopSettings,
)

FIXTURE = Path(__file__).resolve().parents[2] / "index" / "fixtures" / "enriched.jsonl"
STAGE_TIME_S = 30.0
"""From the worker's start (group join included) to the last dead letter."""
STAGE_MEM_MB = 64.0
"""Growth of the worker process while it handles the hostile messages (its imports excluded)."""
LOOP = LoopSettings(
    batch_max_records=32, batch_max_wait_ms=200, retry_initial_ms=100, retry_max_ms=1000
)


@dataclass(frozen=True)
class StageCase:
    name: str
    value: bytes | None
    """The record's value (None: a tombstone)."""
    label: str
    """The ``dw-error`` its stage must dead-letter it with."""


def _real(stage: str) -> dict[str, Any]:
    art: dict[str, Any] = json.loads(FIXTURE.read_text().splitlines()[0])
    if stage == "enrich":
        art["enrichment"] = None  # a raw article: the enricher has not seen it yet
    return art


def _with(stage: str, **fields: Any) -> bytes:
    return json.dumps({**_real(stage), **fields}).encode()


def stage_cases(stage: str) -> list[StageCase]:
    return [
        StageCase(f"{stage}_negative_version", _with(stage, version=-1), "schema_violation"),
        StageCase(f"{stage}_zero_version", _with(stage, version=0), "schema_violation"),
        StageCase(f"{stage}_id_600_bytes", _with(stage, id="a" * 600), "schema_violation"),
        StageCase(
            f"{stage}_id_path", _with(stage, id="../../_cluster/settings"), "schema_violation"
        ),
        StageCase(
            f"{stage}_published_not_a_date", _with(stage, published="yesterday"), "schema_violation"
        ),
        StageCase(f"{stage}_future_schema", _with(stage, schema_version=99), "unsupported_version"),
        StageCase(f"{stage}_truncated_json", _with(stage)[:200], "invalid_json"),
        StageCase(f"{stage}_tombstone", None, "empty"),
    ]


STAGES = ("enrich", "index")


def run_stage_job(job: dict[str, Any], measure: Any) -> dict[str, Any]:
    """Produce the job's messages to the stage's input topic, run the stage's real worker until
    each is dead-lettered, and report the worker's counts, time and growth (``measure``: the
    runner's (reset, read) pair for the resident-set peak)."""
    kafka = KafkaSettings(bootstrap_servers=job["bootstrap"], topic_prefix=job["prefix"])
    ensure_topics(kafka)
    stage = job["stage"]
    values = [None if v is None else bytes.fromhex(v) for v in job["messages"]]
    topic = kafka.topics.raw if stage == "enrich" else kafka.topics.enriched
    producer = make_producer(kafka)
    for i, value in enumerate(values):
        producer.send(topic, key=f"{job['keys'][i]}".encode(), value=value)
    producer.flush()
    producer.close()
    worker: Any
    settings: Any
    if stage == "enrich":
        from diplowire.enrich.worker import run_worker as worker

        settings = EnrichSettings(kafka=kafka, loop=LOOP)
    else:
        from diplowire.index.worker import run_worker as worker

        es = ElasticsearchSettings(url=job["es_url"], index_prefix=f"{job['prefix']}-articles")
        settings = IndexSettings(kafka=kafka, loop=LOOP, elasticsearch=es)
    stats, stop = Stats(), StopFlag()
    errors: list[str] = []

    def run() -> None:
        try:
            worker(settings, stop, stats=stats)
        except BaseException as exc:  # reported: the case then fails
            errors.append(repr(exc))

    reset, read = measure
    base = reset()
    t0 = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = t0 + job["time_s"] + 30
    while stats.dead_lettered + stats.succeeded < len(values) and time.monotonic() < deadline:
        if errors:
            break
        time.sleep(0.05)
    elapsed = time.monotonic() - t0
    peak = read()
    stop.set()
    thread.join(timeout=60)
    return {
        "stage": stage,
        "elapsed_s": round(elapsed, 3),
        "rss_delta_mb": round((peak - base) / 1024, 1),
        "dead_lettered": stats.dead_lettered,
        "succeeded": stats.succeeded,
        "by_reason": stats.by_reason,
        "errors": errors,
        "stopped": not thread.is_alive(),
        "connects": [],
        "kafka": job["bootstrap"],
    }
