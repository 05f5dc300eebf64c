"""The SQLite state store: incremental writes, the JSON migration, a seen set bounded by what
the feeds carry (real Kafka where a poll runs)."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

from diplowire.ingest.feeds import Feed
from diplowire.ingest.poller import poll_once
from diplowire.ingest.state import FeedState, PollerState, Seen, StateStore
from diplowire.wire.loop import make_producer
from diplowire.wire.settings import KafkaSettings
from tests.ingest import feedfiles as ff
from tests.ingest.feedfiles import poll_settings
from tests.support import read_topic
from tests.support.httpserver import TestServer, static

FIXTURE = Path(__file__).parent / "fixtures" / "poller-state-v1.json"
FIXTURE_BASE = "http://127.0.0.1:33681/"
"""The server the fixture's feeds were polled from (tests/ingest/fixtures/SOURCES.md)."""


def _numbered(n: int) -> bytes:
    """RSS with items 0..n-1 (the real sample feeds hold at most 30)."""
    body = "".join(
        f"<item><title>Report number {i} on the talks</title>"
        f"<link>https://news.example.org/2026/report-{i}</link>"
        f"<description>Delegations met for round {i} of the talks.</description></item>"
        for i in range(n)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Long</title>'
        f"<link>https://news.example.org</link><description>d</description>{body}</channel></rss>"
    ).encode()


def test_saves_write_only_what_changed(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    state = PollerState()
    for u in ("a", "b", "c"):
        state.feeds[u] = FeedState(url=u, etag=f'"{u}"')
        state.items[u] = [f"{u}1", f"{u}2"]
        state.seen[f"{u}1"] = Seen("h", 1, 1.0, "t", u)
    state.guids["g"] = "a1"
    store.save(state)  # built by hand: written whole
    db = sqlite3.connect(tmp_path / "poller-state.sqlite")
    assert db.execute("SELECT count(*) FROM feeds").fetchone() == (3,)
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)

    other = StateStore(tmp_path)
    loaded = other.load()
    assert loaded.feeds == state.feeds and loaded.items == state.items
    assert loaded.seen == state.seen and loaded.guids == {"g": "a1"}
    before = other._conn().total_changes
    loaded.set_feed("b", FeedState(url="b", etag='"b2"'))
    loaded.set_seen("b9", Seen("h9", 1, 2.0, "t", "b"), "gb9")
    other.save(loaded)
    # One feed row, one seen row, one GUID row: nothing else rewritten.
    assert other._conn().total_changes - before == 3
    rows = db.execute("SELECT url, state FROM feeds ORDER BY url").fetchall()
    assert [u for u, _ in rows] == ["a", "b", "c"] and b"b2" in rows[1][1]
    assert db.execute("SELECT feed FROM seen WHERE id = 'b9'").fetchone() == ("b",)
    assert StateStore(tmp_path).seen_of_feed("b") == ["b1", "b9"]
    assert StateStore(tmp_path).guids_of(["b9", "a1"]) == {"gb9": "b9", "g": "a1"}


def test_prune_forgets_only_what_no_feed_carries_after_the_grace(tmp_path: Path) -> None:
    store = StateStore(tmp_path, seen_grace_s=100.0)
    state = store.load()
    state.set_feed("f", FeedState(url="f"))
    state.set_items("f", ["kept", "shared"])
    state.set_feed("other", FeedState(url="other"))
    state.set_items("other", ["shared2"])
    for aid in ("kept", "shared", "shared2", "left"):
        state.set_seen(aid, Seen("h", 1, 0.0, "", "f"), f"g-{aid}")
    store.save(state)
    assert store.prune(state, ["f", "other"], now=1000.0) == 0
    assert state.seen["left"].gone_at == 1000.0 and state.seen["kept"].gone_at == 0.0
    assert store.prune(state, ["f", "other"], now=1050.0) == 0  # within the grace
    # "other" no longer listed (or owned): its article is now gone too.
    assert store.prune(state, ["f"], now=1101.0) == 1
    assert "left" not in state.seen and "g-left" not in state.guids
    assert state.seen["shared2"].gone_at == 1101.0
    reloaded = StateStore(tmp_path).load()
    assert sorted(reloaded.seen) == ["kept", "shared", "shared2"]
    assert "g-left" not in reloaded.guids and reloaded.seen["shared2"].gone_at == 1101.0
    # An article back in a feed within the grace is carried again.
    state.set_items("f", ["kept", "shared", "shared2"])
    assert store.prune(state, ["f"], now=1300.0) == 0 and state.seen["shared2"].gone_at == 0.0


def test_json_state_written_by_the_old_poller_moves_into_sqlite(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    with TestServer() as srv:
        shutil.copy(FIXTURE, tmp_path / "poller-state.json")
        text = (tmp_path / "poller-state.json").read_text()
        (tmp_path / "poller-state.json").write_text(text.replace(FIXTURE_BASE, srv.url("/")))
        srv.routes["/un.xml"] = static(ff.real("un-news-europe.xml"))
        srv.routes["/a.xml"] = static(ff.rss20(list(range(5))))
        feeds = [Feed(url=srv.url("/un.xml"), name="UN"), Feed(url=srv.url("/a.xml"), name="A")]
        store = StateStore(tmp_path)
        state = store.load()
        assert store.migrated_from == tmp_path / "poller-state.json.bak"
        assert not (tmp_path / "poller-state.json").exists()
        assert len(state.seen) == 30 and len(state.guids) == 30
        assert {fs.articles_published for fs in state.feeds.values()} == {25, 5}
        assert all(fs.etag is None and fs.body_hash is None for fs in state.feeds.values())
        assert StateStore(tmp_path).load().seen == state.seen  # moved once, read back
        producer = make_producer(kafka)
        try:
            report = poll_once(feeds, poll_settings(kafka, tmp_path), producer, store)
        finally:
            producer.close()
    # Fetched in full (no validators), nothing published again, and each feed now says what
    # it carries.
    assert report.feeds_ok == 2 and report.published == 0
    assert report.duplicates == report.entries == 35  # 5 entries repeat within the UN feed
    assert read_topic(kafka, kafka.topics.raw, timeout_s=2.0) == []
    reloaded = StateStore(tmp_path).load()
    carried = [set(reloaded.items[f.url]) for f in feeds]
    # The short feed's 5 items are UN items too (tests/ingest/feedfiles.rss20).
    assert [len(c) for c in carried] == [30, 5] and carried[0] | carried[1] == set(reloaded.seen)
    assert all(reloaded.feeds[f.url].etag for f in feeds)


def test_a_feed_longer_than_the_old_caps_share_is_never_published_again(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    # The JSON store kept max_seen articles in all; set to 50, a 120-item feed lost 70 of them
    # and published them again. Now the seen set is what the feeds carry.
    settings = replace(poll_settings(kafka, tmp_path), max_seen=50, seen_grace_s=0.0)
    with TestServer() as srv:
        srv.routes["/long.xml"] = static(_numbered(120))
        feeds = [Feed(url=srv.url("/long.xml"), name="L")]
        producer = make_producer(kafka)
        try:
            store = StateStore(tmp_path)
            first = poll_once(feeds, settings, producer, store)
            reports = []
            for n in (121, 122):
                srv.routes["/long.xml"] = static(_numbered(n))
                reports.append(poll_once(feeds, settings, producer, store))
                store.prune(store.load(), [f.url for f in feeds])  # no grace: as hard as it gets
        finally:
            producer.close()
    assert first.published == 120
    assert [r.published for r in reports] == [1, 1]
    assert [r.duplicates for r in reports] == [120, 121]
    raw = read_topic(kafka, kafka.topics.raw)
    assert len(raw) == 122 and len({r.key for r in raw}) == 122
    assert len(StateStore(tmp_path).load().seen) == 122
