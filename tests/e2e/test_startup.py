"""Start-up policy of the long-running workers, as real processes: they wait for Kafka (and the
indexer for Elasticsearch) with backoff and few log lines, stop at once on SIGTERM while waiting,
give up with exit 6 after ``startup_timeout_s``, and consume once the service appears.

"Absent, then back" uses a private broker (tests/support/kafkanode.py) or Elasticsearch node
(tests/support/esnode.py) on free ports, started late; the shared stack is never stopped.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from diplowire.sampleserver import SAMPLE_DIR, FeedServer
from diplowire.wire.article import replace
from diplowire.wire.settings import ElasticsearchSettings, KafkaSettings
from tests.index.helpers import articles, produce
from tests.support import es_count, topic_size
from tests.support.esnode import EsNode
from tests.support.kafkanode import KafkaNode, free_port

ROOT = Path(__file__).resolve().parents[2]
WAITING = re.compile(r"waiting for (Kafka|Elasticsearch) at ")


def _start(
    args: list[str], log: Path, bootstrap: str, prefix: str, **env: str
) -> subprocess.Popen[bytes]:
    full = {
        **os.environ,
        "DIPLOWIRE_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "DIPLOWIRE_KAFKA_TOPIC_PREFIX": prefix,
        "DIPLOWIRE_ELASTICSEARCH_INDEX_PREFIX": f"{prefix}-articles",
        "DIPLOWIRE_LOOP_BATCH_MAX_WAIT_MS": "100",
        "DIPLOWIRE_ALLOW_ADDRESSES": "127.0.0.1",  # the poller's feeds are on loopback
        **env,
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "diplowire.cli", *args],
            env=full,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _lines(log: Path) -> list[str]:
    return log.read_text(errors="replace").splitlines() if log.exists() else []


def _wait_line(
    log: Path, pattern: re.Pattern[str], proc: subprocess.Popen[bytes], t: float
) -> None:
    deadline = time.monotonic() + t
    while time.monotonic() < deadline:
        if any(pattern.search(line) for line in _lines(log)):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError(f"no {pattern.pattern!r} in the log:\n" + "\n".join(_lines(log)[-30:]))


def _sigterm(proc: subprocess.Popen[bytes], log: Path, within_s: float) -> float:
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=within_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(
            f"no exit within {within_s} s of SIGTERM:\n{log.read_text()}"
        ) from None
    assert rc == 0, f"exit {rc} after SIGTERM:\n{log.read_text()[-3000:]}"
    return time.monotonic() - t0


def _tracebacks(lines: list[str]) -> int:
    return sum(line.startswith("Traceback (most recent call last)") for line in lines)


@pytest.mark.parametrize("service", ["index", "enrich", "poll"])
def test_sigterm_while_waiting_for_kafka_exits_0_promptly(
    service: str, ns: str, tmp_path: Path
) -> None:
    log = tmp_path / f"{service}.log"
    args = [service]
    if service == "poll":
        # Feeds are never fetched: the poller waits for Kafka before its first pass.
        args += ["--feeds", str(SAMPLE_DIR / "feeds.yaml"), "--base-url", "http://127.0.0.1:9/"]
        args += ["--state-dir", str(tmp_path / "state")]
    proc = _start(args, log, f"127.0.0.1:{free_port()}", ns)
    _wait_line(log, WAITING, proc, 60)
    time.sleep(2)  # inside a probe or a backoff wait: both must give way
    # A probe gives up within 3 s; the backoff wait ends at once.
    # (A probe stuck in kafka-python's own 30 s+ waits is what the bound tells apart: 10 s
    # leaves a loaded machine's exit time out of it.)
    assert _sigterm(proc, log, within_s=15) < 10
    lines = _lines(log)
    assert _tracebacks(lines) == 0, "\n".join(lines)
    assert not any("stopped after draining" in ln and "consumed=1" in ln for ln in lines)


def test_startup_timeout_exits_6_with_one_clear_line(ns: str, tmp_path: Path) -> None:
    log = tmp_path / "index.log"
    port = free_port()
    proc = _start(["index"], log, f"127.0.0.1:{port}", ns, DIPLOWIRE_LOOP_STARTUP_TIMEOUT_S="5")
    rc = proc.wait(timeout=60)
    lines = _lines(log)
    assert rc == 6, "\n".join(lines)
    final = [ln for ln in lines if ln.startswith("diplowire index: gave up waiting:")]
    assert len(final) == 1, "\n".join(lines)
    assert f"Kafka at 127.0.0.1:{port} not available after" in final[0]
    assert "startup_timeout_s = 5" in final[0]
    assert _tracebacks(lines) == 0


def test_workers_started_before_kafka_consume_once_it_appears_and_ride_out_an_outage(
    ns: str, tmp_path: Path, es_settings: ElasticsearchSettings
) -> None:
    env = {"DIPLOWIRE_ELASTICSEARCH_URL": es_settings.url}
    logs = {s: tmp_path / f"{s}.log" for s in ("poll", "enrich", "index")}
    with KafkaNode() as node, FeedServer(SAMPLE_DIR) as server:
        kafka = KafkaSettings(bootstrap_servers=node.bootstrap, topic_prefix=ns)
        feeds = ["--feeds", str(SAMPLE_DIR / "feeds.yaml"), "--base-url", server.base_url]
        procs = {
            "poll": _start(
                ["poll", *feeds, "--state-dir", str(tmp_path / "state")],
                logs["poll"],
                node.bootstrap,
                ns,
                **env,
            ),
            "enrich": _start(["enrich"], logs["enrich"], node.bootstrap, ns, **env),
            "index": _start(["index"], logs["index"], node.bootstrap, ns, **env),
        }
        try:
            # 1. Absent for a while: every worker keeps waiting, in few lines.
            for name, proc in procs.items():
                _wait_line(logs[name], WAITING, proc, 60)
            time.sleep(12)
            for name, proc in procs.items():
                lines = _lines(logs[name])
                assert proc.poll() is None, f"{name} exited:\n" + "\n".join(lines)
                waiting = [ln for ln in lines if WAITING.search(ln)]
                # ~20 s of waiting: probes of 3 s and waits of 1, 2, 4, 8 s make 3-6 attempts.
                assert 2 <= len(waiting) <= 8, f"{name}:\n" + "\n".join(lines)
                assert len(lines) <= 3 * len(waiting) + 10, f"{name}:\n" + "\n".join(lines)
                assert _tracebacks(lines) == 0, f"{name}:\n" + "\n".join(lines)

            # 2. Kafka appears: poll -> enrich -> index runs end to end.
            node.start()
            es = Elasticsearch(es_settings.url)
            alias = es_settings.index_prefix
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and es_count(es, alias) < 5:
                for name, proc in procs.items():
                    assert proc.poll() is None, f"{name} exited:\n{logs[name].read_text()}"
                time.sleep(1)
            indexed = es_count(es, alias)
            assert indexed >= 5, {n: _lines(p)[-15:] for n, p in logs.items()}
            assert topic_size(kafka, kafka.topics.raw) > 0
            for name in procs:
                assert any(
                    "Kafka at" in ln and "is available after" in ln for ln in _lines(logs[name])
                )

            # 3. An outage of ~30 s while running: a bounded number of lines, then it resumes.
            before = {n: len(_lines(p)) for n, p in logs.items()}
            node.kill_now()
            time.sleep(30)
            for name in ("enrich", "index"):
                during = _lines(logs[name])[before[name] :]
                assert procs[name].poll() is None, f"{name} exited:\n" + "\n".join(during)
                assert len(during) <= 40, f"{name}: {len(during)} lines:\n" + "\n".join(during)
                assert _tracebacks(during) <= 2, "\n".join(during)
            node.start()
            # New ids: the fixture's first articles are the sample feeds' own, which the pipeline
            # may already have indexed before the outage (then the count could not grow).
            more = [replace(a, id=uuid.uuid4().hex) for a in articles()[:10]]
            produce(kafka, more)
            ids = [a.id for a in more]

            def all_found() -> bool:
                es.indices.refresh(index=alias)
                return all(d["found"] for d in es.mget(index=alias, ids=ids)["docs"])

            deadline = time.monotonic() + 180
            while time.monotonic() < deadline and not all_found():
                time.sleep(1)
            if not all_found():
                # Every worker's whole log: which stage held the articles is what tells a slow
                # recovery from a lost message.
                missing = [
                    d["_id"] for d in es.mget(index=alias, ids=ids)["docs"] if not d["found"]
                ]
                raise AssertionError(
                    f"{len(missing)} of {len(ids)} articles not indexed 180 s after the outage: "
                    f"{missing}\n"
                    + "\n".join(
                        f"--- {n}:\n{p.read_text(errors='replace')}" for n, p in logs.items()
                    )
                )
            assert es_count(es, alias) >= indexed + len(more)
            es.close()
        finally:
            for name, proc in procs.items():
                if proc.poll() is None:
                    _sigterm(proc, logs[name], within_s=90)


def test_the_indexer_waits_for_elasticsearch_then_indexes(
    kafka: KafkaSettings, ns: str, tmp_path: Path
) -> None:
    node = EsNode()
    log = tmp_path / "index.log"
    arts = articles()[:8]
    produce(kafka, arts)
    proc = _start(
        ["index"],
        log,
        kafka.bootstrap_servers,
        ns,
        DIPLOWIRE_ELASTICSEARCH_URL=node.url,
        DIPLOWIRE_ELASTICSEARCH_REQUEST_TIMEOUT_S="5",
    )
    try:
        _wait_line(log, re.compile("waiting for Elasticsearch at "), proc, 60)
        time.sleep(10)
        lines = _lines(log)
        assert proc.poll() is None, "\n".join(lines)
        waiting = [ln for ln in lines if "waiting for Elasticsearch" in ln]
        assert 2 <= len(waiting) <= 8 and len(lines) <= 3 * len(waiting) + 10, "\n".join(lines)
        assert _tracebacks(lines) == 0, "\n".join(lines)
        node.start(timeout=180)
        es = Elasticsearch(node.url)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and es_count(es, f"{ns}-articles") < len(arts):
                assert proc.poll() is None, log.read_text()
                time.sleep(1)
            assert es_count(es, f"{ns}-articles") == len(arts), _lines(log)[-30:]
        finally:
            es.close()
        assert any("Elasticsearch at" in ln and "is available after" in ln for ln in _lines(log))
        _sigterm(proc, log, within_s=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        node.destroy()
