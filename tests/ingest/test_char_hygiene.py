"""Characters no article may carry, links with controls in them, and UTF-8 feeds with a few stray
bytes (pure, no stack). The feeds are the real ones of tests/ingest/fixtures, with the defect
added by tests/ingest/hostile/bodies.py."""

from __future__ import annotations

import pytest

from diplowire.ingest.charset import to_utf8, utf8_census
from diplowire.ingest.feeds import Feed
from diplowire.ingest.normalize import clean_chars, clean_url, entry_link, html_to_text
from diplowire.ingest.outcomes import Recode, SkipReason
from diplowire.ingest.parse import parse_feed
from diplowire.wire.settings import PollSettings
from tests.ingest import feedfiles as ff
from tests.ingest.hostile import bodies

FEED = Feed(url="https://f.example/feed", name="F")
TITLE = ff.un_items()[0]["title"]


def _titles(body: bytes) -> list[str]:
    return [i.article.title for i in parse_feed(body, FEED, PollSettings())[0]]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\x00b\x01\x08\x1b\x7fc", "abc"),
        ("tab\tnewline\ncr\r", "tab\tnewline\ncr\r"),
        ("v\x0bf\x0c", "v f "),  # vertical tab, form feed: whitespace
        ("\ufffe\uffff\ufdd0\ufdef\U0001fffe\U0010ffffx", "x"),
        ("lone \ud800 surrogate", "lone  surrogate"),
        # C1 controls are windows-1252 bytes read as ISO-8859-1; the undefined ones go.
        ("\x93quoted\x94 \x85 \x80\x81", "“quoted” … €"),
        ("\ufffd and U+FDF0 \ufdf0 stay", "\ufffd and U+FDF0 \ufdf0 stay"),
    ],
)
def test_clean_chars(raw: str, clean: str) -> None:
    assert clean_chars(raw) == clean


def test_html_to_text_drops_controls_from_text_and_references() -> None:
    assert html_to_text(f"{TITLE}\x01\x02&#1;&#xFFFE;&#x1b;") == TITLE.strip()
    assert html_to_text(f"<p>{TITLE}</p>\x00\x00") == TITLE.strip()
    assert html_to_text("5&#150;6 &#x93;x&#x94;") == "5–6 “x”"


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        ("https://news.un.org/a\x05x", "https://news.un.org/a%05x"),
        ("https://news.un.org/a b?q=c d#e\x7f", "https://news.un.org/a%20b?q=c%20d#e%7F"),
        ("  \x01https://news.un.org/a\x00 \n", "https://news.un.org/a"),
        ("https://news.un.org/a\tb\nc", "https://news.un.org/abc"),
        ("https://news.un.org/\x85", "https://news.un.org/%C2%85"),
        ("https://news.un.org/\ufffe\ud800a", "https://news.un.org/a"),
        ("https://news\x05.un.org/a", None),
        ("https://news .un.org/a", None),
    ],
)
def test_clean_url(raw: str, url: str | None) -> None:
    assert clean_url(raw) == url


@pytest.mark.parametrize(
    "link", ["https://news\x05.un.org/a", "https://news .un.org/a", "ht\x01tps://news.un.org/a"]
)
def test_a_link_with_a_control_in_its_scheme_or_host_is_no_url(link: str) -> None:
    assert entry_link({"link": link}) == SkipReason.NON_HTTP_URL
    guid = ff.un_items()[0]["link"]
    assert entry_link({"link": link, "id": guid}) == guid


def test_hostile_corpus_control_bodies_publish_the_real_titles() -> None:
    real = [html_to_text(i["title"]) for i in ff.un_items()]
    assert _titles(bodies.with_controls()) == real[:3]
    assert _titles(bodies.with_char_refs()) == real[:2]
    assert _titles(bodies.with_nuls()) == real[:3]
    items = parse_feed(bodies.with_controls(), FEED, PollSettings())[0]
    assert items[1].article.url == ff.un_items()[1]["link"] + "%05x"


def test_a_feed_title_with_controls_is_a_clean_source_name() -> None:
    body = bodies.with_nuls()  # the channel's title starts with a NUL
    items = parse_feed(body, Feed(url=FEED.url, name=""), PollSettings())[0]
    assert {i.article.source.name for i in items} == {"UN News - Europe"}


# --- UTF-8 with stray bytes ---------------------------------------------------------------


def test_utf8_census_counts_sequences_and_stray_bytes() -> None:
    assert utf8_census("‘é’ abc".encode()) == (3, 0)
    assert utf8_census(b"\x93x\x94 caf\xe9") == (0, 3)
    assert utf8_census(b"\xe2\x80x") == (0, 2)  # a truncated sequence: two stray bytes
    assert utf8_census(b"\xc0\xaf \xed\xa0\x80") == (0, 5)  # overlong, surrogate: not UTF-8


def test_mixed_encoding_reads_the_stray_bytes_as_windows_1252() -> None:
    body = bodies.mixed_encoding()
    fixed = to_utf8(body, None)
    assert fixed is not None and fixed.outcome is Recode.MIXED
    assert "windows-1252" in fixed.describe()
    assert _titles(body) == _titles(bodies.mixed_encoding("utf-8"))
    assert _titles(body)[0].endswith("’ “quoted” café")
    items, notes, _ = parse_feed(body, FEED, PollSettings())
    assert notes.recode is Recode.MIXED and len(items) == 3


def _ascii_doc(title: str, stray: int) -> bytes:
    doc = bodies.rss(f"<item><title>{title}</title><link>https://news.un.org/a</link></item>")
    return doc.replace(b"Q", b"\x93", stray)


@pytest.mark.parametrize(
    ("title", "stray", "mixed"),
    [
        ("«x» QQ", 2, True),  # two UTF-8 characters, two stray bytes
        ("«x» QQQ", 3, False),  # three stray bytes: no longer mostly UTF-8
        ("plain QQ", 2, False),  # no UTF-8 text at all: whatever is detected
    ],
)
def test_utf8_wins_while_its_sequences_are_at_least_as_many_as_the_stray_bytes(
    title: str, stray: int, mixed: bool
) -> None:
    doc = _ascii_doc(title, stray)
    assert utf8_census(doc) == (title.count("«") * 2, stray)
    fixed = to_utf8(doc, None)
    assert fixed is not None and (fixed.outcome is Recode.MIXED) == mixed
    if mixed:
        assert _titles(doc) == [title.replace("Q", "“")]


def test_windows_1251_declared_as_utf8_is_still_detected() -> None:
    body = '<?xml version="1.0" encoding="UTF-8"?>\n' + ff.real("liga-novosti-ru.xml").decode()
    fixed = to_utf8(body.encode("cp1251"), None)
    assert fixed is not None and fixed.outcome is Recode.REDETECTED and fixed.used == "cp1251"
