"""An item's path through the poller, against real Kafka and a local server: identity (GUIDs,
links), non-web links, escaped markup and a feed not in the charset it declares."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from diplowire.ingest.cli import cmd_feeds, cmd_poll
from diplowire.ingest.feeds import Feed
from diplowire.ingest.normalize import article_id, canonical_url, html_to_text
from diplowire.ingest.parse import parse_feed
from diplowire.ingest.poller import poll_once
from diplowire.ingest.report import PollReport
from diplowire.ingest.state import FileStateStore
from diplowire.wire.article import Article, decode
from diplowire.wire.loop import make_producer
from diplowire.wire.settings import KafkaSettings, PollSettings
from tests.ingest import feedfiles as ff
from tests.ingest.feedfiles import poll_settings
from tests.support import read_topic
from tests.support.httpserver import TestServer, static


def _entry(
    n: int, *, guid: str | None = None, link: str | None = None, summary: str | None = None
) -> str:
    """The real UN News item ``n``, with another GUID, link or summary if given."""
    un = ff.un_items()[n]
    out = f"<item><title>{escape(un['title'])}</title><link>{escape(link or un['link'])}</link>"
    if guid is not None:
        out += f"<guid isPermaLink='false'>{escape(guid)}</guid>"
    return out + f"<description>{escape(summary or un['summary'])}</description></item>"


def _doc(entries: list[str], *, ttl: int | None = None) -> bytes:
    channel = f"<ttl>{ttl}</ttl>" if ttl else ""  # another body, same items
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>UN News - Europe</title><link>https://news.un.org</link>{channel}"
        f"{''.join(entries)}</channel></rss>"
    ).encode()


def _id(n: int, link: str | None = None) -> str:
    return article_id(canonical_url(link or ff.un_items()[n]["link"]))


def _poll(kafka: KafkaSettings, tmp_path: Path, feeds: list[Feed]) -> PollReport:
    producer = make_producer(kafka)
    try:
        return poll_once(feeds, poll_settings(kafka, tmp_path), producer, FileStateStore(tmp_path))
    finally:
        producer.close()


def _published(kafka: KafkaSettings) -> list[Article]:
    return [decode(r.value) for r in read_topic(kafka, kafka.topics.raw)]


def test_guids_never_make_one_article_a_version_of_another(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    un = ff.un_items()
    moved_link = un[5]["link"] + "?page=moved"
    rounds = {
        # Two items sharing one bare GUID, with different links, polled twice.
        "/shared.xml": (
            _doc([_entry(0, guid="1"), _entry(1, guid="1")]),
            _doc([_entry(0, guid="1"), _entry(1, guid="1")], ttl=5),
        ),
        # A bare GUID reused by the feed for another story.
        "/reused.xml": (_doc([_entry(3, guid="7")]), _doc([_entry(4, guid="7")])),
        # The legitimate use: the same story (same title) moved to another URL and edited.
        "/moved.xml": (
            _doc([_entry(5, guid="9")]),
            _doc([_entry(5, guid="9", link=moved_link, summary=un[6]["summary"])]),
        ),
    }
    with TestServer() as srv:
        feeds = [Feed(url=srv.url(path), name=path) for path in rounds]
        for path, (first, _second) in rounds.items():
            srv.routes[path] = static(first)
        one = _poll(kafka, tmp_path, feeds)
        for path, (_first, second) in rounds.items():
            srv.routes[path] = static(second)
        two = _poll(kafka, tmp_path, feeds)
    assert one.published == 4 and one.skipped == {}
    # Round two: the shared-GUID items are known as they are; the reused GUID's story is new;
    # the moved story is version 2 of its article.
    assert two.published == 2 and two.duplicates == 2 and two.updated == 1
    by_key = {(a.id, a.version): a for a in _published(kafka)}
    assert len(by_key) == 6
    for n in (0, 1, 3, 4):
        art = by_key[(_id(n), 1)]
        assert art.url == un[n]["link"] and art.title == html_to_text(un[n]["title"])
        assert (_id(n), 2) not in by_key
    moved = by_key[(_id(5), 2)]
    assert moved.url == moved_link and moved.text == html_to_text(un[6]["summary"])


def test_same_link_twice_with_other_content_is_counted_not_silent(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    un = ff.un_items()
    doc = _doc([_entry(0), _entry(0, summary=un[1]["summary"]), _entry(2), _entry(2)])
    with TestServer() as srv:
        srv.routes["/d.xml"] = static(doc)
        feeds = [Feed(url=srv.url("/d.xml"), name="D")]
        report = _poll(kafka, tmp_path, feeds)
    assert report.entries == 4 and report.published == 2 and report.duplicates == 1
    assert report.skipped == {"duplicate_item": 1} and report.skipped_entries == 1
    arts = _published(kafka)
    assert sorted(a.id for a in arts) == sorted([_id(0), _id(2)])
    first = next(a for a in arts if a.id == _id(0))
    assert first.text == html_to_text(un[0]["summary"])  # the first entry is the one kept
    fs = FileStateStore(tmp_path).load().feeds[feeds[0].url]
    assert fs.skipped == {"duplicate_item": 1} and fs.health == "ok"


NON_WEB = (
    "javascript:alert(document.cookie)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
)


def test_non_web_links_are_skipped_and_counted_in_the_report_and_status(
    kafka: KafkaSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    un = ff.un_items()
    entries = [_entry(n, link=link) for n, link in enumerate(NON_WEB)]
    # A javascript: link whose permalink GUID is a web URL: the GUID is the article's URL.
    entries.append(
        f"<item><title>{escape(un[4]['title'])}</title><link>javascript:void(0)</link>"
        f"<guid>{escape(un[4]['link'])}</guid></item>"
    )
    entries.append(_entry(5))
    monkeypatch.setenv("DIPLOWIRE_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrap_servers)
    monkeypatch.setenv("DIPLOWIRE_KAFKA_TOPIC_PREFIX", kafka.topic_prefix)
    monkeypatch.setenv("DIPLOWIRE_PER_HOST_MIN_SPACING_S", "0")
    monkeypatch.setenv("DIPLOWIRE_ALLOW_ADDRESSES", "127.0.0.1")
    feed_list = tmp_path / "feeds.yaml"
    with TestServer() as srv:
        srv.routes["/n.xml"] = static(_doc(entries))
        feed_list.write_text(f"feeds:\n  - url: {srv.url('/n.xml')}\n    name: N\n")
        args = argparse.Namespace(
            feeds=str(feed_list), state_dir=str(tmp_path), base_url=None, once=True, config=None
        )
        assert cmd_poll(args) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["skipped"] == {"non_http_url": 4} and report["skipped_entries"] == 4
    assert report["published"] == 2 and report["entries"] == 6
    arts = _published(kafka)
    assert sorted(a.url for a in arts) == sorted([un[4]["link"], un[5]["link"]])
    assert all(a.canonical_url.startswith("https://") for a in arts)
    args = argparse.Namespace(
        action="status", feeds=str(feed_list), state_dir=str(tmp_path), base_url=None,
        json=True, config=None,
    )  # fmt: skip
    assert cmd_feeds(args) == 0
    row = json.loads(capsys.readouterr().out.strip())
    assert row["skipped"] == {"non_http_url": 4} and row["health"] == "ok"


def test_escaped_scripts_never_reach_published_text(kafka: KafkaSettings, tmp_path: Path) -> None:
    un = ff.un_items()
    script = "&lt;script&gt;alert(1)&lt;/script&gt;"  # escaped once more than the markup
    entries = [
        f"<item><title>{escape(un[n]['title'] + ' ' + script)}</title>"
        f"<link>{escape(un[n]['link'])}</link>"
        f"<description>{escape(form + un[n]['summary'])}</description></item>"
        for n, form in enumerate([script, escape(script), f"<p>{script}</p>"])
    ]
    with TestServer() as srv:
        srv.routes["/s.xml"] = static(_doc(entries))
        report = _poll(kafka, tmp_path, [Feed(url=srv.url("/s.xml"), name="S")])
    assert report.published == 3
    arts = sorted(_published(kafka), key=lambda a: [_id(n) for n in range(3)].index(a.id))
    for n, art in enumerate(arts):
        for text in (art.title, art.text):
            assert "<script" not in text.lower() and "alert(" not in text and "&lt;" not in text
        assert art.title == html_to_text(un[n]["title"])
        assert art.text == html_to_text(un[n]["summary"])


def test_a_windows_1251_feed_declared_utf8_is_published_in_cyrillic(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    # The real LIGA.net feed (Russian) encoded as windows-1251 but declared, in the document
    # and in the HTTP header, as UTF-8.
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + ff.real("liga-novosti-ru.xml").decode()
    feed = Feed(url="https://www.liga.net/feed", name="LIGA")
    expected, _notes, _hint = parse_feed(text.encode("utf-8"), feed, PollSettings())
    with TestServer() as srv:
        srv.routes["/ru.xml"] = static(
            text.encode("cp1251"), **{"Content-Type": "application/rss+xml; charset=utf-8"}
        )
        feeds = [Feed(url=srv.url("/ru.xml"), name="LIGA")]
        report = _poll(kafka, tmp_path, feeds)
    assert report.published == 12 and report.feeds_recoded == {"redetected": 1}
    arts = {a.id: a for a in _published(kafka)}
    for item in expected:
        art = arts[item.article.id]
        assert (art.title, art.text) == (item.article.title, item.article.text)
    titles = [a.title for a in arts.values()]
    assert any(t.startswith("Футбол. ") for t in titles)
    assert not any(ch in t for t in titles for ch in "ÐÑÃÂ\ufffd")
    fs = FileStateStore(tmp_path).load().feeds[feeds[0].url]
    assert "cp1251" in fs.charset_note and fs.health == "ok"
