"""``diplowire subscribe`` on real Kafka: filters, starting points, own group, webhook."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from kafka.admin import KafkaAdminClient

from diplowire.cli import main
from diplowire.index.query import Filters
from diplowire.index.subscribe import stdout_sink, subscribe, webhook_sink
from diplowire.index.worker import run_worker
from diplowire.wire.article import Article
from diplowire.wire.loop import StopFlag
from diplowire.wire.settings import (
    ElasticsearchSettings,
    IndexSettings,
    KafkaSettings,
    LoopSettings,
    SubscribeSettings,
)
from tests.index.helpers import articles, fresh, produce
from tests.support import WorkerThread, wait_for


def _run_cli(
    kafka: KafkaSettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *argv: str,
) -> list[dict[str, Any]]:
    monkeypatch.setenv("DIPLOWIRE_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrap_servers)
    monkeypatch.setenv("DIPLOWIRE_KAFKA_TOPIC_PREFIX", kafka.topic_prefix)
    capsys.readouterr()
    assert main(["subscribe", "--idle-exit", "2", "--no-lemmas", *argv]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def _ru(a: Article) -> bool:
    return a.enrichment is not None and "RU" in {c.code for c in a.enrichment.countries}


def test_filters_from_the_start_then_resume_where_the_group_stopped(
    kafka: KafkaSettings,
    es_settings: ElasticsearchSettings,
    fast_loop: LoopSettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    arts = fresh(articles())
    first, second = arts[:60], arts[60:]
    produce(kafka, first)
    # The indexer runs beside the subscriber; neither moves the other's offsets.
    with WorkerThread(
        run_worker, IndexSettings(kafka=kafka, loop=fast_loop, elasticsearch=es_settings)
    ) as indexer:
        got = _run_cli(kafka, monkeypatch, capsys, "--country", "RU", "--from", "earliest")
        assert [g["id"] for g in got] == [a.id for a in first if _ru(a)]
        assert all(g["enrichment"]["countries"] for g in got)  # whole articles, as on the wire

        # No --from: the group's committed position, so only what came since.
        produce(kafka, second)
        got = _run_cli(kafka, monkeypatch, capsys, "--country", "RU")
        assert [g["id"] for g in got] == [a.id for a in second if _ru(a)]
        assert _run_cli(kafka, monkeypatch, capsys, "--country", "RU") == []
        wait_for(lambda: indexer.stats.succeeded >= len(arts), 60, "indexing", (indexer,))

    admin = KafkaAdminClient(**kafka.client_config())
    offsets = admin.list_group_offsets(
        {kafka.topics.group("index"): None, kafka.topics.group("subscribe"): None}
    )
    admin.close()
    for group in ("index", "subscribe"):
        committed = offsets[kafka.topics.group(group)]
        assert sum(o.offset for o in committed.values()) == len(arts), group


def test_from_a_point_in_time_and_limit(
    kafka: KafkaSettings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    arts = fresh(articles())
    produce(kafka, arts[:30])
    time.sleep(1.5)
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 0.5)) + "Z"
    produce(kafka, arts[30:50])
    got = _run_cli(kafka, monkeypatch, capsys, "--from", since, "--group", "pit")
    assert [g["id"] for g in got] == [a.id for a in arts[30:50]]
    got = _run_cli(
        kafka, monkeypatch, capsys, "--from", "earliest", "--group", "lim", "--limit", "3"
    )
    assert [g["id"] for g in got] == [a.id for a in arts[:3]]
    # --limit commits exactly what it delivered: the next run continues at the fourth.
    got = _run_cli(kafka, monkeypatch, capsys, "--group", "lim", "--limit", "2")
    assert [g["id"] for g in got] == [a.id for a in arts[3:5]]


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]
    fail_first: list[int]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.fail_first:
            self.fail_first.pop()
            self.send_response(503)
            self.end_headers()
            return
        self.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    handler = type("H", (_Receiver,), {"received": received, "fail_first": [1, 1]})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()


def test_webhook_receives_matches_and_survives_its_failures(
    kafka: KafkaSettings, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = receiver
    arts = fresh(articles())
    produce(kafka, arts)
    settings = SubscribeSettings(kafka=kafka, webhook_url=url, group="hook")
    stop = StopFlag()
    f = Filters.build(topics=["visas_travel"])
    stats = subscribe(
        settings, f, webhook_sink(settings, stop), stop, start="earliest", idle_exit_s=2
    )
    want = [a.id for a in arts if any(t.name == "visas_travel" for t in a.enrichment.topics)]  # type: ignore[union-attr]
    assert want and [r["id"] for r in received] == want
    assert stats.matched == len(want)


def test_live_follow_sees_new_articles_and_stops_on_the_flag(
    kafka: KafkaSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    positioned = threading.Event()

    class _Following(logging.Handler):
        """The subscriber's "following ... from new articles only" line: what is written after
        it is news and must be delivered (its position is resolved before the line, not at the
        first poll: before, news written in between were skipped as history)."""

        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("following "):
                positioned.set()

    handler = _Following()
    sub_log = logging.getLogger(subscribe.__module__)
    sub_log.addHandler(handler)
    old_level = sub_log.level
    sub_log.setLevel(logging.INFO)  # the line is INFO; pytest's root logger keeps WARNING
    produce(kafka, fresh(articles()[:5]))  # history: not wanted
    out = io.StringIO()
    stop = StopFlag()
    settings = SubscribeSettings(kafka=kafka, group="live")
    thread = threading.Thread(
        target=subscribe, args=(settings, Filters(), stdout_sink(out), stop), daemon=True
    )
    thread.start()
    try:
        assert positioned.wait(60), "the subscriber did not say where it follows from in 60 s"
    finally:
        sub_log.removeHandler(handler)
        sub_log.setLevel(old_level)
    news = fresh(articles()[5:8])
    produce(kafka, news)
    wait_for(lambda: out.getvalue().count("\n") >= 3, 30, "live articles")
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert [json.loads(x)["id"] for x in out.getvalue().splitlines()] == [a.id for a in news]


def test_latest_is_fixed_when_the_subscriber_says_it_follows(kafka: KafkaSettings) -> None:
    """What is written after the start point was chosen is delivered, whenever the first poll
    comes: kafka-python's seek_to_end alone resolved "latest" at the first poll, and articles
    written in between were skipped as history."""
    from kafka import KafkaConsumer

    from diplowire.index.subscribe import _partitions, _position

    produce(kafka, fresh(articles()[:3]))  # history
    consumer = KafkaConsumer(
        **kafka.client_config(), group_id=kafka.topics.group("latest"), enable_auto_commit=False
    )
    try:
        tps = _partitions(consumer, kafka.topics.enriched)
        consumer.assign(tps)
        assert _position(consumer, tps, "latest") == "new articles only"
        news = fresh(articles()[3:5])
        produce(kafka, news)  # before the first poll
        got: list[str] = []
        deadline = time.monotonic() + 20
        while len(got) < len(news) and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                got.extend(json.loads(r.value)["id"] for r in records)
        assert got == [a.id for a in news]
    finally:
        consumer.close(autocommit=False)
