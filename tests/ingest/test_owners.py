"""Three poller processes share one feed list through the owners' group on the real Kafka: every
feed is polled, one host's feeds by one poller, and no article is published twice (same id and
version), across the hand-over after one of them is SIGKILLed mid-pass."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import msgspec

from diplowire.ingest.feeds import Feed
from diplowire.ingest.normalize import content_hash
from diplowire.ingest.ownerread import MARK_KEY, FeedRecord, Mark, _content_hash
from diplowire.ingest.ownership import Ownership, partition_of, start_owner
from diplowire.ingest.poller import poll_once
from diplowire.ingest.state import StateStore
from diplowire.ingest.statetopic import ensure_state_topic
from diplowire.wire.article import decode
from diplowire.wire.loop import make_producer
from diplowire.wire.settings import KafkaSettings
from tests.ingest import feedfiles as ff
from tests.ingest.feedfiles import poll_settings
from tests.support import read_topic
from tests.support.articles import un_articles
from tests.support.httpserver import Reply, Route, TestServer, static

PARTITIONS = 3
"""Partitions of the feed-state topic: one each for the three pollers."""
FEEDS_PER_HOST = 2
CLI = (sys.executable, "-m", "diplowire.cli")


class _Hits:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: list[tuple[float, str, str]] = []
        """(time, poller, feed URL path with host)."""

    def after(self, t: float) -> list[tuple[float, str, str]]:
        with self.lock:
            return [r for r in self.rows if r[0] >= t]


def _growing(host: int, feed: int, t0: float, hits: _Hits, srv_url: str) -> Route:
    """A feed that gains an item every second (the last 10 shown): every poll publishes."""

    def route(req: BaseHTTPRequestHandler) -> Reply:
        with hits.lock:
            hits.rows.append((time.time(), req.headers.get("User-Agent", ""), srv_url))
        n = int(time.time() - t0)
        body = "".join(
            f"<item><title>Host {host} feed {feed} item {k}</title>"
            f"<link>https://news.example.org/h{host}/f{feed}/item-{k}</link>"
            f"<description>Round {k} of the talks on host {host}.</description></item>"
            for k in range(max(0, n - 10), n + 1)
        )
        xml = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
            f"<link>https://news.example.org</link><description>d</description>{body}"
            "</channel></rss>"
        )
        return Reply(200, xml.encode(), {"Content-Type": "application/rss+xml"})

    return route


def _start(i: int, kafka: KafkaSettings, tmp: Path, config: Path, feeds: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DIPLOWIRE_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "DIPLOWIRE_KAFKA_TOPIC_PREFIX": kafka.topic_prefix,
        "DIPLOWIRE_USER_AGENT": f"poller-{i}",
    }
    log, state = tmp / f"poller-{i}.log", tmp / f"state-{i}"
    return subprocess.Popen(
        [*CLI, "--config", str(config), "poll", "--feeds", str(feeds), "--state-dir", str(state)],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _twice(by_poller: dict[str, set[str]]) -> set[str]:
    """Feeds polled by more than one poller."""
    n = Counter(u for us in by_poller.values() for u in us)
    return {u for u, k in n.items() if k > 1}


def _group_events(log: str) -> str:
    """A poller log's lines about the group and its partitions, warnings, errors and
    tracebacks (the passes' INFO lines left out)."""
    return "\n".join(
        line
        for line in log.splitlines()
        if not line.startswith("20")
        or any(w in line for w in ("partition", "group", "WARNING", "ERROR", "CRITICAL"))
    )


def _wait(
    cond: Callable[[], bool],
    timeout_s: float,
    what: str,
    logs: Path,
    state: Callable[[], str] = lambda: "",
) -> None:
    deadline = time.monotonic() + timeout_s
    while not cond():
        if time.monotonic() > deadline:
            tails = "\n".join(
                f"--- {p.name}\n{_group_events(p.read_text())[-3000:]}"
                for p in sorted(logs.glob("poller-*.log"))
            )
            raise AssertionError(f"not within {timeout_s:.0f} s: {what}\n{state()}\n{tails}")
        time.sleep(0.25)


def test_three_pollers_share_the_list_and_survive_a_sigkill(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    hits = _Hits()
    t0 = time.time()
    servers: list[TestServer] = []
    procs: list[subprocess.Popen] = []
    try:
        # Hosts are 127.0.0.1:<random port>: servers are added until each partition (each
        # poller's share) has two hosts.
        per_part: Counter[int] = Counter()
        urls = []
        while min(per_part[p] for p in range(PARTITIONS)) < 2:
            assert len(servers) < 40
            srv = TestServer()
            srv.__enter__()
            servers.append(srv)
            h = len(servers) - 1
            per_part[partition_of(srv.url("/"), PARTITIONS)] += 1
            for f in range(FEEDS_PER_HOST):
                url = srv.url(f"/f{f}.xml")
                srv.routes[f"/f{f}.xml"] = _growing(h, f, t0, hits, url)
                urls.append(url)
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text("feeds:\n" + "".join(f"  - url: {u}\n    interval: 2\n" for u in urls))
        config = tmp_path / "poll.yaml"
        config.write_text(
            f"owners: true\nowner_partitions: {PARTITIONS}\n"
            "min_interval_s: 1\ndefault_interval_s: 2\n"
            "max_interval_s: 3\nper_host_min_spacing_s: 0.2\nallow_addresses: [127.0.0.1]\n"
        )
        procs = [_start(i, kafka, tmp_path, config, feeds) for i in range(3)]

        def pollers_after(t: float) -> dict[str, set[str]]:
            by: dict[str, set[str]] = defaultdict(set)
            for _, ua, url in hits.after(t):
                by[ua].add(url)
            return by

        def shared() -> bool:
            # In the last 4 s: three pollers, every feed polled, and by one poller only.
            recent = pollers_after(time.time() - 4)
            return (
                len(recent) == 3
                and set().union(*recent.values()) == set(urls)
                and not _twice(recent)
            )

        def who() -> str:
            recent = pollers_after(time.time() - 4)
            return (
                f"last 4 s: { {ua: len(us) for ua, us in sorted(recent.items())} } feeds by poller,"
                f" {len(set(urls) - set().union(*recent.values()))} of {len(urls)} not polled,"
                f" {len(_twice(recent))} by two"
            )

        _wait(shared, 60, "three pollers sharing every feed, each feed one poller's", tmp_path, who)
        recent = pollers_after(time.time() - 4)

        # SIGKILL the poller that polls the most feeds, while it polls them.
        victim_ua = max(recent, key=lambda ua: len(recent[ua]))
        victim = procs[int(victim_ua.rsplit("-", 1)[1])]
        orphaned = sorted(recent[victim_ua])
        victim.send_signal(signal.SIGKILL)
        t_kill = time.time()
        victim.wait(timeout=10)

        # The survivors take the victim's feeds over (its session times out in 10 s).
        def taken_over() -> bool:
            seen = {url for _, ua, url in hits.after(t_kill) if ua != victim_ua}
            return seen >= set(urls)

        _wait(taken_over, 45, f"every feed polled again after the kill of {victim_ua}", tmp_path)
        t_over = time.time()
        time.sleep(5)
        settled = pollers_after(t_over)
        for proc in procs:
            if proc is not victim:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            assert proc.wait(timeout=60) in (0, -signal.SIGKILL)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        for srv in servers:
            srv.__exit__(None, None, None)
        # For a failure's post-mortem: who polled what, when.
        (tmp_path / "hits.txt").write_text(
            "".join(f"{t - t0:8.2f} {ua} {url}\n" for t, ua, url in hits.after(0))
        )

    # After the take-over one host is still one poller's: no feed polled by two of them.
    assert victim_ua not in settled and len(settled) == 2
    assert not _twice(settled), _twice(settled)
    raw = read_topic(kafka, kafka.topics.raw)
    versions = Counter((r.key.decode(), decode(r.value).version) for r in raw)
    twice = {k: n for k, n in versions.items() if n > 1}
    assert not twice, f"published twice: {list(twice.items())[:5]} of {len(raw)} records"
    # The victim's feeds published after the kill, by their new owners.
    after_kill = [
        a for r in raw if r.timestamp / 1000 > t_kill + 1 and (a := decode(r.value)).source
    ]
    assert {a.source.feed_url for a in after_kill} >= set(orphaned)
    assert len(raw) > 100


def test_partition_of_keeps_a_host_together_and_the_raw_hash_matches() -> None:
    urls = [f"http://feeds{i}.example.org:80{i % 3}/f{j}.xml" for i in range(20) for j in range(3)]
    parts = {u: partition_of(u, 12) for u in urls}
    for u in urls:
        same_host = [v for v in urls if v.split("/")[2] == u.split("/")[2]]
        assert {parts[v] for v in same_host} == {parts[u]}
    assert len(set(parts.values())) > 6  # spread over the partitions
    # The new owner recomputes the content hash from the raw record: it must be the poller's.
    for art in un_articles()[:5]:
        assert _content_hash(art.title, art.text) == content_hash(art)


def test_a_new_owner_knows_what_a_dead_owner_published_after_its_last_record(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    # The window a SIGKILL leaves is short (records follow every drain): made here on purpose.
    # The dead owner marked the feed's partition, published 10 articles, and died before it
    # wrote the feed's record.
    topic = kafka.topics.feed_state
    with TestServer() as srv:
        srv.routes["/a.xml"] = static(ff.rss20(list(range(10))))
        feeds = [Feed(url=srv.url("/a.xml"), name="A")]
        settings = poll_settings(kafka, tmp_path)
        producer = make_producer(kafka)
        try:
            parts = ensure_state_topic(kafka, topic, 2)
            mark = msgspec.json.encode(Mark(time.time()))
            p = partition_of(feeds[0].url, parts)
            producer.send(topic, key=MARK_KEY, value=mark, partition=p).get(timeout=10)
            dead = poll_once(feeds, settings, producer, StateStore(tmp_path / "dead"))
            store = StateStore(tmp_path / "new")
            owner = Ownership(kafka, producer, store, partitions=2)
            try:
                deadline = time.monotonic() + 30
                while not owner.owns(feeds[0].url):
                    assert time.monotonic() < deadline, "no partition assigned in 30 s"
                    owner.wait(threading.Event(), 0.5, store.load())
                again = poll_once(feeds, settings, producer, store, owner=owner)
                srv.routes["/a.xml"] = static(ff.rss20(list(range(11))))
                grown = poll_once(feeds, settings, producer, store, owner=owner)
            finally:
                owner.close(store.load())
        finally:
            producer.close()
    assert dead.published == 10 and owner.stats.raw_scanned == 10
    # Read back from the raw topic: nothing published twice, the new item once.
    assert again.feeds_ok == 1 and again.published == 0 and again.duplicates == 10
    assert grown.published == 1 and grown.duplicates == 10
    raw = read_topic(kafka, kafka.topics.raw)
    assert len(raw) == 11 and len({r.key for r in raw}) == 11
    # The feed's record now names all 11: a third owner would not need the raw topic.
    records = [r for r in read_topic(kafka, topic) if r.key == feeds[0].url.encode()]
    assert records and len(msgspec.json.decode(records[-1].value, type=FeedRecord).seen) == 11


def test_the_owners_session_timeout_is_a_poll_setting(kafka: KafkaSettings, tmp_path: Path) -> None:
    # On an oversubscribed machine a live poller's heartbeats came late and the 10 s session
    # evicted it mid-pass (bench/ingest.md): operators need to raise it without code.
    settings = poll_settings(kafka, tmp_path, owner_partitions=2, owner_session_timeout_ms=45_000)
    producer = make_producer(kafka)
    store = StateStore(tmp_path / "state")
    try:
        owner = start_owner(settings, producer, store)
        try:
            assert owner.session_timeout_ms == 45_000
        finally:
            owner.close(store.load())
    finally:
        producer.close()
