"""Metrics, /healthz and /readyz of a real indexer; JSON log lines; the shipped dashboard and
alert rules name only metrics the code registers."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from diplowire.index.worker import run_worker
from diplowire.ingest.report import PollReport
from diplowire.wire import observe
from diplowire.wire.admin import ensure_topics
from diplowire.wire.article import Article, encode
from diplowire.wire.logs import JsonFormatter
from diplowire.wire.loop import Stats, StopFlag, make_producer, run_stage
from diplowire.wire.outcomes import Outcome, TransientError
from diplowire.wire.settings import (
    ElasticsearchSettings,
    IndexSettings,
    KafkaSettings,
    LoopSettings,
    ObserveSettings,
)
from diplowire.wire.startup import OutageLogFilter
from tests.index.helpers import articles, fresh, produce
from tests.support import WorkerThread, wait_for
from tests.support.kafkanode import free_port
from tests.support.messages import hex_id, make_article, produce_values

ROOT = Path(__file__).resolve().parents[2]
OBSERVABILITY = ROOT / "deploy" / "observability"


# Loopback directly, whatever proxy the environment names.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _get(port: int, path: str) -> tuple[int, str]:
    """Status and body; (0, "") while nothing listens yet (the worker thread is starting)."""
    try:
        with OPENER.open(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except urllib.error.URLError:
        return 0, ""


def _samples(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    status, text = _get(port, "/metrics")
    if status == 0:
        return {}
    assert status == 200
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def _value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def _lag(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], stage: str = "index"
) -> dict[str, float]:
    """A stage's lag per partition of its input topic."""
    return {
        dict(labels)["partition"]: v
        for (name, labels), v in samples.items()
        if name == "diplowire_consumer_lag" and dict(labels).get("stage") == stage
    }


def _settled(samples: dict[tuple[str, frozenset[tuple[str, str]]], float]) -> bool:
    lag = _lag(samples)
    counted = _value(samples, "diplowire_batch_size_sum", stage="index") >= 7
    return counted and "0" in lag and not any(lag.values())


def test_indexer_counts_its_messages_and_is_ready(
    kafka: KafkaSettings,
    es_settings: ElasticsearchSettings,
    fast_loop: LoopSettings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    arts = fresh(articles()[:6])
    produce(kafka, arts, raw=[(b"bad-key", b"not an article")])
    port = free_port()
    settings = IndexSettings(
        kafka=kafka,
        loop=fast_loop,
        elasticsearch=es_settings,
        observe=ObserveSettings(port=port, lag_refresh_s=0),
    )
    with (
        caplog.at_level(logging.WARNING, logger="diplowire.wire.steps"),
        WorkerThread(run_worker, settings) as worker,
    ):
        # Scraped until the counts settle: the metrics move after each batch's commit, the
        # lag right after them.
        wait_for(
            lambda: _settled(_samples(port)),
            60,
            "seven records counted, no lag left",
            (worker,),
        )
        wait_for(lambda: _get(port, "/readyz")[0] == 200, 10, "ready", (worker,))
        assert _get(port, "/healthz") == (200, "ok\n")
        got = _samples(port)
    assert _value(got, "diplowire_messages_in_total", stage="index") == 7
    assert _value(got, "diplowire_messages_out_total", stage="index") == 6
    assert _value(got, "diplowire_dead_letters_total", stage="index", reason="invalid_json") == 1
    assert _value(got, "diplowire_batch_size_sum", stage="index") == 7
    assert _value(got, "diplowire_batch_duration_seconds_count", stage="index") >= 1
    # Stamped as fetched just now: every indexed article is under a minute old.
    assert _value(got, "diplowire_freshness_seconds_count", stage="index") == 6
    assert _value(got, "diplowire_freshness_seconds_bucket", stage="index", le="60.0") == 6
    # Partition 0 (where the articles were written) is among those reported, all caught up.
    assert "0" in _lag(got) and not any(_lag(got).values())
    assert _value(got, "diplowire_ready", stage="index") == 1
    # The server is gone with the worker.
    assert _get(port, "/healthz") == (0, "")

    # The dead-letter line, as a JSON line: stage, article id (the record's key), error label.
    record = next(r for r in caplog.records if r.getMessage().startswith("dead letter"))
    line = json.loads(JsonFormatter().format(record))
    assert line["stage"] == "index"
    assert line["article_id"] == "bad-key"
    assert line["error"] == "invalid_json"
    assert {"time", "level", "logger", "message"} <= set(line)


def test_indexer_is_alive_but_not_ready_while_elasticsearch_is_missing(
    kafka: KafkaSettings, ns: str
) -> None:
    port = free_port()
    settings = IndexSettings(
        kafka=kafka,
        elasticsearch=ElasticsearchSettings(
            url=f"http://127.0.0.1:{free_port()}", index_prefix=f"{ns}-articles"
        ),
        observe=ObserveSettings(port=port),
    )
    with WorkerThread(run_worker, settings) as worker:
        # Kafka answered, Elasticsearch (a closed port) does not: alive, not ready.
        wait_for(
            lambda: _get(port, "/readyz") == (503, "not ready: elasticsearch\n"),
            30,
            "503 naming elasticsearch only",
            (worker,),
        )
        assert _get(port, "/healthz")[0] == 200
        assert _value(_samples(port), "diplowire_ready", stage="index") == 0
    assert worker.error is None  # a stop while waiting is a clean stop


def test_cli_logs_json_lines(kafka: KafkaSettings, ns: str) -> None:
    env = {
        **os.environ,
        "DIPLOWIRE_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "DIPLOWIRE_KAFKA_TOPIC_PREFIX": ns,
        "DIPLOWIRE_ELASTICSEARCH_URL": f"http://127.0.0.1:{free_port()}",
        "DIPLOWIRE_LOOP_STARTUP_TIMEOUT_S": "2",
        "DIPLOWIRE_LOG_FORMAT": "json",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "diplowire.cli", "index"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert proc.returncode == 6, proc.stderr  # gave up waiting for Elasticsearch
    lines = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    waiting = [x for x in lines if x["message"].startswith("waiting for Elasticsearch")]
    assert waiting, proc.stderr
    assert {"time", "level", "logger", "message"} <= set(waiting[0])
    assert waiting[0]["level"] == "WARNING"


def test_json_lines_keep_the_outage_filter() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(OutageLogFilter(interval_s=60))
    logger = logging.getLogger("kafka.test_observe")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for _ in range(5):
            logger.error("connect to %s failed", "broker")
        try:
            raise ConnectionRefusedError("refused")
        except ConnectionRefusedError:
            logger.error("other failure", exc_info=True)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    # Four repeats dropped; the library's connection traceback dropped too.
    assert [x["message"] for x in lines] == [
        "connect to broker failed",
        "other failure (traceback with -v)",
    ]
    assert "exception" not in lines[1]


def test_poll_progress_counts_what_each_report_gained() -> None:
    obs = observe.Observer("poll", ObserveSettings())
    first = PollReport(feeds_ok=2, published=3)
    obs.poll_progress(first)
    first.feeds_ok, first.feeds_failed, first.published = 4, 1, 5
    first.count_failure("http_error")
    obs.poll_progress(first)
    obs.poll_progress(PollReport(feeds_failed=2, failures={"timeout": 2}))  # the next pass

    def val(name: str, **labels: str) -> float:
        return obs.registry.get_sample_value(name, labels) or 0.0

    assert val("diplowire_poll_feeds_total", outcome="ok") == 4
    assert val("diplowire_poll_feeds_total", outcome="failed") == 3
    assert val("diplowire_poll_feed_failures_total", kind="http_error") == 1
    assert val("diplowire_poll_feed_failures_total", kind="timeout") == 2
    assert val("diplowire_poll_articles_published_total") == 5


def _registered() -> set[str]:
    obs = observe.Observer("index", ObserveSettings())
    names = {fam.name for fam in obs.registry.collect()}
    # Counters are exposed with _total; histograms as _bucket, _sum, _count.
    assert names == {re.sub(r"_total$", "", n) for n in observe.METRIC_NAMES}
    return set(observe.METRIC_NAMES)


def _referenced(text: str) -> set[str]:
    found = set(re.findall(r"\bdiplowire_[a-z_]+", text))
    return {re.sub(r"_(bucket|sum|count)$", "", n) for n in found}


def test_dashboard_and_alerts_name_only_registered_metrics() -> None:
    registered = _registered()
    dashboard = json.loads((OBSERVABILITY / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert exprs and dashboard["title"] and dashboard["schemaVersion"]
    alerts = yaml.safe_load((OBSERVABILITY / "alerts.yaml").read_text())
    rules = [r for g in alerts["groups"] for r in g["rules"]]
    assert {r["alert"] for r in rules} >= {
        "DiplowireLagGrowing",
        "DiplowireDeadLettersRising",
        "DiplowireFeedsFailing",
        "DiplowireWorkerNotReady",
    }
    for text in [*exprs, *(r["expr"] for r in rules)]:
        used = _referenced(text)
        assert used, text
        assert used <= registered, f"unknown metrics {used - registered} in {text}"


def test_not_ready_while_paused_on_an_outage(kafka: KafkaSettings, fast_loop: LoopSettings) -> None:
    ensure_topics(kafka)
    produce_values(
        kafka, kafka.topics.raw, [encode(make_article(id=hex_id(f"o{i}"))) for i in range(5)]
    )
    down = threading.Event()
    down.set()

    def handle(batch: Sequence[Article]) -> list[Outcome]:
        if down.is_set():
            raise TransientError("downstream down")
        return [None] * len(batch)

    port = free_port()
    obs = observe.start("t", ObserveSettings(port=port, lag_refresh_s=0))
    stop, stats = StopFlag(), Stats()
    producer = make_producer(kafka)
    thread = threading.Thread(
        target=run_stage,
        args=(kafka, fast_loop),
        kwargs={
            "stage": "t",
            "source": kafka.topics.raw,
            "handle": handle,
            "producer": producer,
            "stop": stop,
            "stats": stats,
            "observer": obs,
        },
    )
    thread.start()
    try:
        # Kafka is there, the loop waits out the outage (consumption paused): not ready.
        wait_for(lambda: _get(port, "/readyz") == (503, "not ready: no_outage\n"), 30, "503")
        assert _get(port, "/healthz")[0] == 200
        # Records that arrive during the outage show as lag while no batch finishes (the lag
        # alert's case): the gauge is refreshed by the paused loop, not only after batches.
        produce_values(
            kafka, kafka.topics.raw, [encode(make_article(id=hex_id(f"p{i}"))) for i in range(3)]
        )
        wait_for(lambda: sum(_lag(_samples(port), "t").values()) == 3, 30, "lag 3 while paused")
        down.clear()
        wait_for(lambda: stats.committed >= 8, 30, "the batches committed after the outage")
        assert _get(port, "/readyz") == (200, "ready\n")
        # ...and refreshed while idle, once everything is committed.
        wait_for(lambda: not any(_lag(_samples(port), "t").values()), 30, "lag back to 0")
    finally:
        stop.set()
        thread.join(timeout=30)
        producer.close()
        obs.close()
    assert stats.retries >= 1
