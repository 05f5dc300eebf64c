"""`diplowire poll --once` and the long-running loop, against real Kafka and a local server."""

from __future__ import annotations

import argparse
import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from kafka import KafkaProducer

from diplowire.ingest.cli import cmd_poll
from diplowire.ingest.feeds import Feed, load_feeds
from diplowire.ingest.poller import run_forever
from diplowire.ingest.state import FeedState, FileStateStore
from diplowire.wire.admin import topic_message_limits
from diplowire.wire.loop import StopFlag, make_producer
from diplowire.wire.settings import KafkaSettings, PollSettings
from tests.ingest import feedfiles as ff
from tests.support import create_limited_topic, topic_size, wait_for
from tests.support.httpserver import TestServer, static


def _feed_list(tmp_path: Path) -> Path:
    yml = tmp_path / "feeds.yaml"
    yml.write_text("feeds:\n" + "".join(f"  - url: {n}\n    name: {n}\n" for n in ff.REAL))
    return yml


def test_poll_once_command_prints_a_report(
    kafka: KafkaSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DIPLOWIRE_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrap_servers)
    monkeypatch.setenv("DIPLOWIRE_KAFKA_TOPIC_PREFIX", kafka.topic_prefix)
    monkeypatch.setenv("DIPLOWIRE_PER_HOST_MIN_SPACING_S", "0")
    monkeypatch.setenv("DIPLOWIRE_ALLOW_ADDRESSES", "127.0.0.1")
    with TestServer() as srv:
        for name in ff.REAL:
            srv.routes[f"/{name}"] = static(ff.real(name))
        args = argparse.Namespace(
            feeds=str(_feed_list(tmp_path)),
            state_dir=str(tmp_path / "st"),
            base_url=srv.url("/"),
            once=True,
            config=None,
        )
        assert cmd_poll(args) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["published"] == 95 and report["feeds_ok"] == 5
    assert topic_size(kafka, kafka.topics.raw) == 95


def test_run_forever_polls_then_stops_on_the_flag(kafka: KafkaSettings, tmp_path: Path) -> None:
    settings = PollSettings(
        kafka=kafka,
        per_host_min_spacing_s=0,
        state_dir=str(tmp_path),
        allow_addresses=ff.LOCAL_SERVER,
    )
    with TestServer() as srv:
        for name in ff.REAL:
            srv.routes[f"/{name}"] = static(ff.real(name))
        feeds = load_feeds(_feed_list(tmp_path), base_url=srv.url("/"))
        producer = make_producer(kafka)
        stop = StopFlag()
        loop = threading.Thread(
            target=run_forever, args=(feeds, settings, producer, FileStateStore(tmp_path), stop)
        )
        loop.start()
        try:
            wait_for(lambda: topic_size(kafka, kafka.topics.raw) >= 95, 30, "first pass")
        finally:
            stop.set()
            loop.join(timeout=30)
            producer.close()
    assert not loop.is_alive()
    state = FileStateStore(tmp_path).load()
    assert all(fs.health == "ok" and fs.next_poll_at > 0 for fs in state.feeds.values())
    assert len(state.seen) == 95


def test_run_forever_replaces_a_producer_the_broker_made_unusable(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    # The limit is read before the topic exists, so the broker, not the poller, refuses the
    # articles: kafka-python's idempotent producer is then unusable for good.
    topic_message_limits(kafka, (kafka.topics.raw, kafka.topics.deadletter))
    create_limited_topic(kafka, kafka.topics.raw, 600)
    made = []

    def new_producer() -> KafkaProducer:
        made.append(make_producer(kafka))
        return made[-1]

    # The next pass reads the topic's limit and dead-letters the 30 articles instead.
    fs = _poll_un_until_dead_lettered(kafka, tmp_path, new_producer)
    assert len(made) == 1
    assert fs.health == "ok" and fs.articles_oversized == 30 and fs.articles_published == 0
    assert topic_size(kafka, kafka.topics.raw) == 0


def test_run_forever_survives_a_new_producer_that_cannot_be_made_yet(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    # The producer is broken as above; the first replacement is attempted while "no broker is
    # reachable" (a closed port: kafka-python's own KafkaTimeoutError from its bootstrap).
    topic_message_limits(kafka, (kafka.topics.raw, kafka.topics.deadletter))
    create_limited_topic(kafka, kafka.topics.raw, 600)
    attempts: list[str] = []
    made: list[KafkaProducer] = []

    def new_producer() -> KafkaProducer:
        if not attempts:
            attempts.append("unreachable")
            dead = KafkaSettings(bootstrap_servers="127.0.0.1:1", topic_prefix=kafka.topic_prefix)
            return make_producer(dead, bootstrap_timeout_ms=1000)
        attempts.append("ok")
        made.append(make_producer(kafka))
        return made[-1]

    fs = _poll_un_until_dead_lettered(kafka, tmp_path, new_producer)
    assert attempts == ["unreachable", "ok"]
    assert fs.health == "ok" and fs.articles_oversized == 30


def _poll_un_until_dead_lettered(
    kafka: KafkaSettings, tmp_path: Path, new_producer: Callable[[], KafkaProducer]
) -> FeedState:
    """run_forever on the real UN feed, starting with a producer the broker will make unusable
    (the raw topic's 600-byte limit is unknown to it), until its 30 articles are dead-lettered."""
    settings = PollSettings(
        kafka=kafka,
        per_host_min_spacing_s=0,
        state_dir=str(tmp_path),
        allow_addresses=ff.LOCAL_SERVER,
    )
    with TestServer() as srv:
        srv.routes["/un.xml"] = static(ff.real("un-news-europe.xml"))
        feeds = [Feed(url=srv.url("/un.xml"), name="UN", interval_s=1)]
        producer = make_producer(kafka, retries=1)
        stop = StopFlag()
        loop = threading.Thread(
            target=run_forever,
            args=(feeds, settings, producer, FileStateStore(tmp_path), stop),
            kwargs={"new_producer": new_producer},
        )
        loop.start()
        try:
            wait_for(lambda: topic_size(kafka, kafka.topics.deadletter) >= 30, 60, "dead letters")
        finally:
            stop.set()
            loop.join(timeout=30)
            producer.close()
    assert not loop.is_alive()
    return FileStateStore(tmp_path).load().feeds[feeds[0].url]
