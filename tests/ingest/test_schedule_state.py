"""Scheduling, politeness, state store, feed lists and the status command (no Kafka needed)."""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
from pathlib import Path

import pytest

from diplowire.ingest import politeness, schedule
from diplowire.ingest.cli import cmd_feeds
from diplowire.ingest.feeds import Feed, load_feeds, to_opml
from diplowire.ingest.politeness import HostBlocked, HostLimiter
from diplowire.ingest.state import FeedState, FileStateStore, PollerState


def test_interval_adapts_within_bounds_and_honours_hints() -> None:
    kw = {"base_s": 900.0, "min_s": 120.0, "max_s": 21600.0}
    # A feed that does not change backs off, up to base*8.
    cur = 900.0
    for _ in range(20):
        cur = schedule.next_interval(current_s=cur, changed=False, change_period_s=0, **kw)
    assert cur == 7200.0
    # One that changes every 10 minutes is polled every 5 (never below base/4 = 225 s).
    fast = schedule.next_interval(current_s=cur, changed=True, change_period_s=600, **kw)
    assert fast == 300.0
    fastest = schedule.next_interval(current_s=cur, changed=True, change_period_s=60, **kw)
    assert fastest == 225.0
    # A server hint (ttl, sy:updatePeriod, max-age) is a floor, capped by the feed's bound.
    hinted = schedule.next_interval(
        current_s=300, changed=True, change_period_s=60, hint_s=3600, **kw
    )
    assert hinted == 3600.0
    capped = schedule.next_interval(
        current_s=300, changed=True, change_period_s=60, hint_s=86400 * 7, **kw
    )
    assert capped == 7200.0


def test_feed_hints() -> None:
    assert schedule.feed_hint_s({"ttl": "60"}) == 3600
    assert schedule.feed_hint_s({"sy_updateperiod": "daily", "sy_updatefrequency": "4"}) == 21600
    assert schedule.feed_hint_s({"sy_updateperiod": "nonsense"}) == 0


def test_jitter_spreads_and_backoff_is_capped() -> None:
    rng = random.Random(1)
    values = [schedule.jittered(1000, rng) for _ in range(200)]
    assert 900 <= min(values) < 950 and 1050 < max(values) <= 1100
    assert schedule.backoff_s(900, 1, 21600) == 900
    assert schedule.backoff_s(900, 3, 21600) == 3600
    assert schedule.backoff_s(900, 30, 21600) == 21600
    assert schedule.backoff_s(900, 1, 21600, retry_after_s=7200) == 7200


class _GrantClock:
    """The limiter's clock, real but recording, per thread, the start the limiter granted: the
    time it read under its lock plus the sleep up to the reserved start. A time read by the
    worker after its slot opened could come late when the scheduler delayed that thread, and
    a start spaced 50 ms after it then looked 43 ms apart (a flaky failure under load)."""

    def __init__(self) -> None:
        self.local = threading.local()

    def monotonic(self) -> float:
        self.local.granted = time.monotonic()
        return float(self.local.granted)

    def sleep(self, seconds: float) -> None:
        self.local.granted += seconds
        time.sleep(seconds)

    def time(self) -> float:
        return time.time()

    def ctime(self, t: float) -> str:
        return time.ctime(t)


def test_host_limiter_caps_concurrency_and_spaces_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _GrantClock()
    monkeypatch.setattr(politeness, "time", clock)
    limiter = HostLimiter(concurrency=2, spacing_s=0.05)
    active, peak, starts = [0], [0], []
    lock = threading.Lock()

    def work() -> None:
        with limiter.slot("http://h.example/feed"):
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
                starts.append(clock.local.granted)
            time.sleep(0.1)
            with lock:
                active[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 2
    starts.sort()
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.045
    # Another host is not held up by this one's limits: it gets a slot while both of this
    # host's are held (an event, not a 50 ms bound that a stall of the test process could break).
    held, release, other = threading.Barrier(3), threading.Event(), threading.Event()

    def hold() -> None:
        with limiter.slot("http://h.example/feed"):
            held.wait(10)
            release.wait(10)

    holders = [threading.Thread(target=hold) for _ in range(2)]
    for t in holders:
        t.start()
    held.wait(10)

    def visit() -> None:
        with limiter.slot("http://other.example/"):
            other.set()

    visitor = threading.Thread(target=visit)
    visitor.start()
    try:
        got = other.wait(10)  # held up, it would wait for a release that comes after
    finally:
        release.set()
        for t in [*holders, visitor]:
            t.join()
    assert got


def test_retry_after_blocks_the_host() -> None:
    limiter = HostLimiter(concurrency=2, spacing_s=0, max_wait_s=5)
    limiter.block("h.example", 120)
    with pytest.raises(HostBlocked), limiter.slot("http://h.example/a"):
        pass
    with limiter.slot("http://h2.example/a"):
        pass


def test_old_state_files_still_load(tmp_path: Path) -> None:
    # A file written before the scheduling fields existed.
    (tmp_path / "poller-state.json").write_text(
        json.dumps({"feeds": {"u": {"url": "u", "etag": "x"}}, "seen": {}, "guids": {}})
    )
    fs = FileStateStore(tmp_path).load().feeds["u"]
    # Moved into SQLite; the validators are dropped so the next poll learns what the feed carries.
    assert fs.url == "u" and fs.etag is None and fs.validators_trusted and fs.interval_s == 0
    assert (tmp_path / "poller-state.json.bak").exists()


def test_opml_round_trip_and_yaml_options(tmp_path: Path) -> None:
    yml = tmp_path / "feeds.yaml"
    yml.write_text(
        "feeds:\n"
        "  - url: https://news.un.org/feed/subscribe/en/news/region/europe/feed/rss.xml\n"
        "    name: UN News - Europe\n    lang: en\n    interval: 600\n    full_text: true\n"
        "  - https://www.francetvinfo.fr/monde.rss\n"
    )
    feeds = load_feeds(yml)
    assert feeds[0].full_text and feeds[0].interval_s == 600 and not feeds[1].full_text
    opml = tmp_path / "feeds.opml"
    opml.write_text(to_opml(feeds))
    assert load_feeds(opml) == feeds


def test_feeds_status_shows_health_and_export_follows_moves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    yml = tmp_path / "feeds.yaml"
    yml.write_text("feeds:\n  - url: https://a.example/f\n  - url: https://b.example/f\n")
    state = PollerState()
    state.feeds["https://a.example/f"] = FeedState(
        url="https://a.example/f", health="failing", failures=2, last_error="timeout: slow"
    )
    state.feeds["https://b.example/f"] = FeedState(
        url="https://b.example/f", health="disabled", moved_to="https://b.example/new"
    )
    FileStateStore(tmp_path / "st").save(state)
    args = argparse.Namespace(
        action="status",
        feeds=str(yml),
        state_dir=str(tmp_path / "st"),
        base_url=None,
        json=True,
        config=None,
    )
    assert cmd_feeds(args) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["health"], r["last_error"]) for r in rows] == [
        ("failing", "timeout: slow"),
        ("disabled", ""),
    ]
    assert rows[1]["moved_to"] == "https://b.example/new"
    args.action = "export"
    assert cmd_feeds(args) == 0
    assert 'xmlUrl="https://b.example/new"' in capsys.readouterr().out


def test_feed_records_are_plain_values() -> None:
    assert Feed("u", "n") == Feed("u", "n")
