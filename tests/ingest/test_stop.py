"""A stop request (SIGTERM) ends a poll pass early without losing or inventing anything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from diplowire.ingest.feeds import load_feeds
from diplowire.ingest.poller import poll_once
from diplowire.ingest.state import FileStateStore
from diplowire.sampleserver import SAMPLE_DIR, FeedServer
from diplowire.wire.loop import make_producer
from diplowire.wire.settings import KafkaSettings, PollSettings
from tests.support import read_topic, topic_size, wait_for


def test_a_pass_stopped_before_it_starts_publishes_nothing_and_keeps_feeds_due(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    store = FileStateStore(tmp_path)
    stop = threading.Event()
    stop.set()
    with FeedServer(SAMPLE_DIR) as server:
        feeds = load_feeds(SAMPLE_DIR / "feeds.yaml", base_url=server.base_url)
        producer = make_producer(kafka)
        report = poll_once(
            feeds,
            PollSettings(kafka=kafka, allow_addresses=("127.0.0.1",)),
            producer,
            store,
            stop=stop,
        )
        assert report.published == 0 and report.feeds_polled == 0
        # The next pass (no stop) polls every feed: nothing was marked as done.
        again = poll_once(
            feeds,
            PollSettings(kafka=kafka, allow_addresses=("127.0.0.1",)),
            producer,
            store,
            due_only=True,
        )
        producer.close()
    assert again.feeds_polled == len(feeds)
    assert again.published == len(read_topic(kafka, kafka.topics.raw)) > 0


def test_sigterm_stops_the_long_running_poller_cleanly(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DIPLOWIRE_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "DIPLOWIRE_KAFKA_TOPIC_PREFIX": kafka.topic_prefix,
        "DIPLOWIRE_ALLOW_ADDRESSES": "127.0.0.1",
    }
    log = tmp_path / "poll.log"
    with FeedServer(SAMPLE_DIR) as server:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "diplowire.cli",
                "poll",
                "--feeds",
                str(SAMPLE_DIR / "feeds.yaml"),
                "--base-url",
                server.base_url,
                "--state-dir",
                str(tmp_path / "state"),
            ],
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(lambda: topic_size(kafka, kafka.topics.raw) >= 95, 120, "the first pass")
        finally:
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(timeout=60)
    assert rc == 0, log.read_text()[-2000:]
    state = FileStateStore(tmp_path / "state").load()
    # Everything Kafka acknowledged is remembered, so a restart republishes nothing.
    assert len(state.seen) == topic_size(kafka, kafka.topics.raw)
