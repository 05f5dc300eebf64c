"""Indexing benchmark: ``diplowire index`` throughput beside the bulk ceiling, and end-to-end
freshness (fetched -> searchable) at a steady rate. Runs against the local stack.

    .venv/bin/python -m bench.index_bench [--docs 20000] [--rounds 3] [--rate 20] [--seconds 30]

Throughput: the same documents are (1) sent as pre-built ``_bulk`` bodies straight to
Elasticsearch (the ceiling: no Kafka, no decoding, no document building) and (2) produced to a
fresh enriched topic and indexed by the real indexer (``index.worker.run_worker``, default
settings) in a child process of its own, as ``diplowire index`` runs: its heap and its GIL are
not the benchmark's. Each round measures the ceiling, then the indexer, then the ceiling again,
each into a fresh index; the ratio is the indexer over the mean of the round's two ceilings (the
machine is shared, so only figures of the same round are compared).

Freshness: raw articles are produced at ``--rate``/s with ``fetched`` = now, go through the real
enricher and indexer, and a reader polls Elasticsearch for each id; the figure is
first-seen-in-search minus fetched.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from elasticsearch import ApiError, Elasticsearch

from diplowire.index.docs import to_document
from diplowire.index.migrate import ensure_index
from diplowire.index.worker import run_worker as run_index
from diplowire.wire.admin import ensure_topics
from diplowire.wire.article import Article, decode, encode, replace
from diplowire.wire.clock import utc_now
from diplowire.wire.loop import Stats, StopFlag, make_producer
from diplowire.wire.settings import (
    ElasticsearchSettings,
    EnrichSettings,
    IndexSettings,
    KafkaSettings,
    LoopSettings,
)

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "index" / "fixtures" / "enriched.jsonl"
ES_URL = "http://127.0.0.1:9200"


def corpus(n: int) -> list[Article]:
    """``n`` distinct enriched articles: the real fixture, repeated under new ids."""
    base = [decode(line) for line in FIXTURE.read_bytes().splitlines() if line.strip()]
    out = []
    for i in range(n):
        art = base[i % len(base)]
        out.append(replace(art, id=f"{art.id[:24]}{i:08x}", url=f"{art.url}#b{i}"))
    return out


def _cleanup(es: Elasticsearch, prefix: str) -> None:
    es.indices.delete(index=f"{prefix}-*", ignore_unavailable=True, allow_no_indices=True)
    es.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}-template")


def ceiling(es: Elasticsearch, prefix: str, arts: Sequence[Article], batch: int) -> float:
    alias = ensure_index(es, prefix)
    now = utc_now()
    bodies = []
    for start in range(0, len(arts), batch):
        lines = []
        for art in arts[start : start + batch]:
            meta = {
                "_index": alias,
                "_id": art.id,
                "version": art.version,
                "version_type": "external_gte",
            }
            lines.append(json.dumps({"index": meta}))
            lines.append(json.dumps(to_document(art, now), ensure_ascii=False))
        bodies.append(("\n".join(lines) + "\n").encode())
    t0 = time.perf_counter()
    for body in bodies:
        # Raw bytes on purpose: the ceiling pays no serialisation; the client passes them through.
        resp = es.bulk(body=body, require_alias=True)  # type: ignore[arg-type]
        assert not resp["errors"], "ceiling bulk refused items"
    elapsed = time.perf_counter() - t0
    es.indices.refresh(index=alias)
    assert es.count(index=alias)["count"] == len(arts)
    return len(arts) / elapsed


def es_cpu_s(es: Elasticsearch) -> float:
    """CPU seconds the Elasticsearch process(es) used so far (node stats)."""
    nodes = es.nodes.stats(metric="process")["nodes"].values()
    return sum(n["process"]["cpu"]["total_in_millis"] for n in nodes) / 1000


def children_cpu_s() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def fill_topic(kafka: KafkaSettings, arts: Sequence[Article], compression: str = "") -> None:
    """The enriched topic as the enricher writes it (its producer settings, unless told)."""
    ensure_topics(kafka)
    extra: dict[str, Any] = {}
    if compression:
        extra["compression_type"] = None if compression == "none" else compression
    producer = make_producer(kafka, linger_ms=50, batch_size=256 * 1024, **extra)
    for art in arts:
        producer.send(kafka.topics.enriched, key=art.id.encode(), value=encode(art))
    producer.flush(timeout=120)
    producer.close()


def indexer(
    kafka: KafkaSettings, es_settings: ElasticsearchSettings, n: int, batch: int | None = None
) -> tuple[float, float]:
    """Run the real worker in a child process on the pre-filled topic; (steady, wall) docs/s."""
    spec = {
        "kafka": {"topic_prefix": kafka.topic_prefix},
        "es": {"url": es_settings.url, "index_prefix": es_settings.index_prefix},
        "docs": n,
        "batch": batch,
    }
    cmd = [sys.executable, "-m", "bench.index_bench", "--child", json.dumps(spec)]
    root = Path(__file__).resolve().parents[1]
    t0 = time.monotonic()
    out = subprocess.run(
        cmd, cwd=root, capture_output=True, text=True, timeout=600, env={**os.environ}, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"indexer child failed ({out.returncode}): {out.stderr[-3000:]}")
    # CLOCK_MONOTONIC is system-wide: the child's marks and t0 are on the same clock.
    marks = [tuple(json.loads(line)) for line in out.stdout.splitlines() if line.startswith("[")]
    wall = n / (marks[-1][0] - t0)
    # Steady state: from the end of the first batch (group joined, index ready) to the last.
    (t_first, n_first), (t_last, n_last) = marks[0], marks[-1]
    steady = (n_last - n_first) / (t_last - t_first)
    return steady, wall


def child(spec_json: str) -> None:
    """The indexer side, in its own process: ``run_worker`` with the default settings."""
    spec = json.loads(spec_json)
    n = spec["docs"]
    stop, stats = StopFlag(), Stats()
    defaults = IndexSettings()
    loop = defaults.loop
    if spec.get("batch"):
        loop = LoopSettings(**{**_fields(loop), "batch_max_records": spec["batch"]})
    settings = IndexSettings(
        kafka=KafkaSettings(**spec["kafka"]),
        elasticsearch=ElasticsearchSettings(**spec["es"]),
        loop=loop,
    )

    def on_batch(s: Stats) -> None:
        print(json.dumps([time.monotonic(), s.succeeded]), flush=True)
        if s.succeeded >= n:
            stop.set()

    run_index(settings, stop, stats=stats, on_batch=on_batch)
    assert stats.succeeded == n, stats


def _fields(obj: Any) -> dict[str, Any]:
    import dataclasses

    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


def freshness(prefix: str, rate: float, seconds: float) -> list[float]:
    from diplowire.enrich.worker import run_worker as run_enrich

    ns = f"bench{uuid.uuid4().hex[:8]}"
    kafka = KafkaSettings(topic_prefix=ns)
    es_settings = ElasticsearchSettings(url=ES_URL, index_prefix=prefix)
    ensure_topics(kafka)
    stop = StopFlag()
    enrich_s = EnrichSettings(kafka=kafka)
    index_s = IndexSettings(kafka=kafka, elasticsearch=es_settings)
    workers = [
        threading.Thread(target=run_enrich, args=(enrich_s, stop), daemon=True),
        threading.Thread(target=run_index, args=(index_s, stop), daemon=True),
    ]
    for w in workers:
        w.start()
    base = [replace(a, enrichment=None) for a in corpus(int(rate * seconds) + 20)]
    es = Elasticsearch(ES_URL)
    producer = make_producer(kafka, linger_ms=0)

    def send(arts: Sequence[Article]) -> dict[str, float]:
        sent = {}
        for art in arts:
            now = utc_now()
            art = replace(
                art, timestamps=replace(art.timestamps, fetched=now, produced=now, enriched=None)
            )
            producer.send(kafka.topics.raw, key=art.id.encode(), value=encode(art))
            sent[art.id] = time.time()
        producer.flush()
        return sent

    def wait_visible(pending: dict[str, float], seen: dict[str, float], until: float) -> None:
        while pending and time.time() < until:
            try:
                ids = list(pending)[:1000]
                resp = es.search(
                    index=prefix, query={"ids": {"values": ids}}, size=1000, source=False
                )
            except ApiError:
                # The indexer has not created the index yet, or its shard is still starting.
                time.sleep(0.2)
                continue
            now = time.time()
            for hit in resp["hits"]["hits"]:
                if hit["_id"] in pending:
                    seen[hit["_id"]] = now - pending.pop(hit["_id"])
            time.sleep(0.05)

    # Warm-up: models loaded, groups joined, index created; not measured.
    warm: dict[str, float] = send(base[:20])
    wait_visible(warm, {}, time.time() + 180)
    assert not warm, "warm-up articles never became searchable"

    pending: dict[str, float] = {}
    seen: dict[str, float] = {}
    lock = threading.Lock()
    done = threading.Event()

    def reader() -> None:
        while not done.is_set() or pending:
            with lock:
                snapshot = dict(pending)
            if snapshot:
                got: dict[str, float] = {}
                wait_visible(snapshot, got, time.time() + 0.01)
                with lock:
                    for k, v in got.items():
                        pending.pop(k, None)
                        seen[k] = v
            time.sleep(0.05)
            if done.is_set() and time.time() > deadline:
                return

    deadline = time.time() + seconds + 60
    rt = threading.Thread(target=reader, daemon=True)
    rt.start()
    interval = 1.0 / rate
    t_next = time.time()
    for art in base[20:]:
        sent = send([art])
        with lock:
            pending.update(sent)
        t_next += interval
        time.sleep(max(0.0, t_next - time.time()))
    done.set()
    rt.join(timeout=90)
    es.indices.refresh(index=prefix)
    stages = es.search(
        index=prefix,
        size=0,
        aggs={
            s: {"percentiles": {"field": f"stage_ms.{s}", "percents": [50, 95]}}
            for s in ("produce", "enrich", "index")
        },
    )["aggregations"]
    print("stage ms:", {k: v["values"] for k, v in stages.items()}, flush=True)
    stop.set()
    for w in workers:
        w.join(timeout=60)
    producer.close()
    es.close()
    assert not pending, f"{len(pending)} articles never became searchable"
    return sorted(seen.values())


def pct(values: Sequence[float], p: float) -> float:
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=3, help="ceiling / indexer / ceiling rounds")
    ap.add_argument("--batch", type=int, default=0, help="bulk size (default: the indexer's)")
    ap.add_argument("--compression", default="", help="enriched topic codec (default: as shipped)")
    ap.add_argument("--rate", type=float, default=20.0)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--skip-freshness", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    es = Elasticsearch(ES_URL, request_timeout=120)
    run = f"bench{uuid.uuid4().hex[:8]}"
    arts = corpus(args.docs)
    batch = args.batch or IndexSettings().loop.batch_max_records
    result: dict[str, Any] = {
        "docs": args.docs,
        "bulk_batch": batch,
        "compression": args.compression or "default",
        "rounds": [],
    }
    try:
        for r in range(args.rounds):
            kafka = KafkaSettings(topic_prefix=f"{run}r{r}")
            fill_topic(kafka, arts, args.compression)
            es0 = es_cpu_s(es)
            c1 = ceiling(es, f"{run}-ceiling", arts, batch)
            es1 = es_cpu_s(es)
            _cleanup(es, f"{run}-ceiling")
            es2, ch2 = es_cpu_s(es), children_cpu_s()
            steady, wall = indexer(
                kafka,
                ElasticsearchSettings(url=ES_URL, index_prefix=f"{run}-indexer"),
                len(arts),
                args.batch or None,
            )
            es3, ch3 = es_cpu_s(es), children_cpu_s()
            _cleanup(es, f"{run}-indexer")
            c2 = ceiling(es, f"{run}-ceiling", arts, batch)
            _cleanup(es, f"{run}-ceiling")
            row = {
                "ceiling_docs_s": [round(c1), round(c2)],
                "indexer_docs_s": round(steady),
                "indexer_wall_docs_s": round(wall),
                "ratio": round(steady / ((c1 + c2) / 2), 3),
                # CPU ms per 1000 documents (ES during the ceiling, ES and the indexer process
                # during the indexer run, start-up included): what the 2 cores were spent on.
                "cpu_ms_per_1k": {
                    "es_ceiling": round((es1 - es0) / len(arts) * 1e6),
                    "es_indexer": round((es3 - es2) / len(arts) * 1e6),
                    "indexer": round((ch3 - ch2) / len(arts) * 1e6),
                },
                "load": round(os.getloadavg()[0], 2),
            }
            result["rounds"].append(row)
            print(json.dumps(row), flush=True)
        result["ratio_median"] = statistics.median(r["ratio"] for r in result["rounds"])
        if not args.skip_freshness:
            lat = freshness(f"{run}-fresh", args.rate, args.seconds)
            result["freshness"] = {
                "rate_per_s": args.rate,
                "articles": len(lat),
                "p50_s": round(statistics.median(lat), 3),
                "p95_s": round(pct(lat, 95), 3),
                "max_s": round(max(lat), 3),
            }
    finally:
        for suffix in ("ceiling", "indexer", "fresh"):
            _cleanup(es, f"{run}-{suffix}")
        es.close()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
