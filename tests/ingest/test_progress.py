"""The poller's progress line counts what Kafka acknowledged (real Kafka, local feed server)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from diplowire.ingest.cli import _progress
from diplowire.ingest.feeds import Feed
from diplowire.ingest.poller import poll_once
from diplowire.ingest.state import FileStateStore
from diplowire.wire.loop import make_producer
from diplowire.wire.settings import KafkaSettings
from tests.ingest import feedfiles as ff
from tests.ingest.feedfiles import poll_settings
from tests.support import read_topic
from tests.support.httpserver import TestServer, static


def test_the_last_progress_line_of_a_pass_counts_the_acknowledged_articles(
    kafka: KafkaSettings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A pass shorter than the drain interval: every article is acknowledged by the final drain,
    # after the last feed was handled (the fault suite's passes saw "0 articles published").
    store = FileStateStore(tmp_path)
    with TestServer() as srv:
        srv.routes["/a.xml"] = static(ff.rss20(list(range(4))))
        srv.routes["/b.xml"] = static(ff.rss20(list(range(10, 13))))
        feeds = [Feed(url=srv.url("/a.xml"), name="A"), Feed(url=srv.url("/b.xml"), name="B")]
        producer = make_producer(kafka)
        try:
            with caplog.at_level(logging.INFO, logger="diplowire.poll"):
                report = poll_once(
                    feeds, poll_settings(kafka, tmp_path), producer, store, progress=_progress
                )
        finally:
            producer.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "diplowire.poll"]
    counts = [int(m.group(1)) for m in map(re.compile(r"(\d+) articles published").search, lines)]
    acknowledged = len(read_topic(kafka, kafka.topics.raw))
    assert acknowledged == 7 and report.published == acknowledged
    assert counts and counts[-1] == acknowledged
    state = store.load()
    assert sum(fs.articles_published for fs in state.feeds.values()) == acknowledged
