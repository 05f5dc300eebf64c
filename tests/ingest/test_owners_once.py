"""``diplowire poll --once`` with ``owners: true`` on the real Kafka: it joins the pollers' group,
polls only the share the group gives it, and hands that share (with its feeds' state) back when
it exits; alone in the group it polls the whole list."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from diplowire.ingest.ownership import Ownership, partition_of
from diplowire.ingest.state import StateStore
from diplowire.wire.article import decode
from diplowire.wire.loop import make_producer
from diplowire.wire.settings import KafkaSettings
from tests.support import read_topic
from tests.support.httpserver import TestServer, static

PARTITIONS = 3
CLI = (sys.executable, "-m", "diplowire.cli")


def _rss(host: int, feed: int, n: int) -> bytes:
    body = "".join(
        f"<item><title>Host {host} feed {feed} report {k}</title>"
        f"<link>https://news.example.org/h{host}/f{feed}/r{k}</link>"
        f"<description>Delegations of host {host} met for round {k}.</description></item>"
        for k in range(n)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://news.example.org</link><description>d</description>{body}"
        "</channel></rss>"
    ).encode()


def _once(kafka: KafkaSettings, tmp: Path, name: str, config: Path, feeds: Path) -> dict[str, int]:
    env = {
        **os.environ,
        "DIPLOWIRE_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "DIPLOWIRE_KAFKA_TOPIC_PREFIX": kafka.topic_prefix,
    }
    cmd = [*CLI, "--config", str(config), "poll", "--once", "--feeds", str(feeds)]
    proc = subprocess.run(
        [*cmd, "--state-dir", str(tmp / name)], env=env, capture_output=True, timeout=180
    )
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    report: dict[str, int] = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    return report


def test_poll_once_with_owners_polls_its_share_and_hands_it_back(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    servers: list[TestServer] = []
    urls: list[str] = []
    items = 4
    producer = make_producer(kafka)
    stop = threading.Event()
    try:
        # Hosts are 127.0.0.1:<random port>: one more until every partition has a host.
        parts: Counter[int] = Counter()
        while len(parts) < PARTITIONS:
            assert len(servers) < 40
            srv = TestServer()
            srv.__enter__()
            servers.append(srv)
            parts[partition_of(srv.url("/"), PARTITIONS)] += 1
            for f in range(2):
                srv.routes[f"/f{f}.xml"] = static(_rss(len(servers), f, items))
                urls.append(srv.url(f"/f{f}.xml"))
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text("feeds:\n" + "".join(f"  - url: {u}\n" for u in urls))
        config = tmp_path / "poll.yaml"
        config.write_text(
            f"owners: true\nowner_partitions: {PARTITIONS}\nper_host_min_spacing_s: 0\n"
            "allow_addresses: [127.0.0.1]\n"
        )

        # A running poller's membership, holding the whole list before the one-shot run.
        store = StateStore(tmp_path / "resident")
        resident = Ownership(kafka, producer, store, partitions=PARTITIONS, member="resident")
        assert resident.wait_for_share(store.load(), 60)
        assert resident.owned == set(range(PARTITIONS))

        def serve() -> None:
            while not stop.is_set():
                resident.wait(stop, 0.5, store.load())

        server_thread = threading.Thread(target=serve, daemon=True)
        server_thread.start()
        t0 = time.monotonic()
        first = _once(kafka, tmp_path, "once-1", config, feeds)
        took_s = time.monotonic() - t0
        polled_first = {srv.url(p) for srv in servers for p in srv.hits}
        share = {partition_of(u, PARTITIONS) for u in polled_first}

        # The one-shot run handed its share back on exit: the resident owns the list again
        # and read the records the one-shot run wrote for its feeds.
        deadline = time.monotonic() + 45
        while resident.owned != set(range(PARTITIONS)):
            assert time.monotonic() < deadline, f"share not handed back: {resident.owned}"
            time.sleep(0.25)
        records_read = resident.stats.records_read
        stop.set()
        server_thread.join(timeout=10)
        resident.close(store.load())

        # Alone in the group, the next one-shot run polls the whole list, knows the first
        # run's feeds from the state topic (its own state directory is new) and publishes
        # only the feeds the first run did not own.
        for srv in servers:
            srv.hits.clear()
        second = _once(kafka, tmp_path, "once-2", config, feeds)
        polled_second = {srv.url(p) for srv in servers for p in srv.hits}
    finally:
        stop.set()
        producer.close()
        for srv in servers:
            srv.__exit__(None, None, None)

    print(f"first one-shot run (join, share, poll, hand back): {took_s:.1f} s")
    # A share of the list, not all of it, and all of that share's feeds, each once.
    assert share and share != set(range(PARTITIONS))
    assert polled_first == {u for u in urls if partition_of(u, PARTITIONS) in share}
    assert first["feeds_ok"] == len(polled_first) and first["published"] == items * len(
        polled_first
    )
    assert records_read >= len(polled_first)
    assert polled_second == set(urls)
    # The first run's feeds came with their validators (304), the others were new.
    assert second["feeds_unchanged"] == len(polled_first)
    assert second["feeds_ok"] == len(urls) - len(polled_first)
    assert second["published"] == items * (len(urls) - len(polled_first))
    raw = read_topic(kafka, kafka.topics.raw)
    versions = Counter((r.key, decode(r.value).version) for r in raw)
    assert len(raw) == items * len(urls) and max(versions.values()) == 1
