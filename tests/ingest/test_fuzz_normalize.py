"""Fuzzing of feed normalisation and parsing: any entry, any bytes, never an untyped exception.

Properties (see tests/fuzzing.py for the profiles; ``make fuzz`` runs them long):

* a feedparser-like entry of arbitrary text, URLs of any scheme, control characters, empty or
  huge strings, impossible dates, becomes an article or a typed skip reason, nothing else;
* only an absolute http(s) URL becomes an article's URL, and an article round-trips the wire;
* feed bytes, random or a real feed mutated, parse to items or a typed ``FetchError``.
"""

from __future__ import annotations

import math
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import pytest
from hypothesis import example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from diplowire.ingest.errors import FetchError, FetchKind
from diplowire.ingest.feeds import Feed
from diplowire.ingest.normalize import entry_article, normalize_entry
from diplowire.ingest.outcomes import SkipReason
from diplowire.ingest.parse import parse_feed
from diplowire.wire.article import Article, decode, encode
from diplowire.wire.settings import PollSettings
from tests.fuzzing import examples

ROOT = Path(__file__).resolve().parents[2]
FEEDS = sorted((ROOT / "tests" / "ingest" / "fixtures").glob("*.xml")) + sorted(
    (ROOT / "data" / "sample-feeds").glob("*.xml")
)
FETCHED = "2026-01-01T00:00:00.000Z"
FEED = Feed(url="https://f.example/feed", name="F")
POLL = PollSettings(max_article_chars=5_000)

# Text as feeds deliver it after XML parsing: any character, including controls, plus markup
# and entities (escaped once or more), and now and then a long run.
fragments = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<br/>",
        "<script>x()</script>",
        "&lt;b&gt;",
        "&amp;amp;",
        "&#0;",
        "&#x110000;",
        "&#55296;",
        "<!--",
        "]]>",
        "\x00",
        "\u202e",
        "\ud7ff",
        "\n\n",
        "<![CDATA[",
        "<a href='javascript:x'>",
    ]
)
short_texts = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(fragments, st.text(max_size=8)), max_size=12).map("".join),
)
texts = st.one_of(
    short_texts,
    st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=4), st.integers(1, 30_000)),
)
schemes = st.one_of(
    st.sampled_from(
        ["http", "https", "HTTP", "hTtPs", "javascript", "data", "vbscript", "file", "ftp", ""]
    ),
    st.text(max_size=6),
)
hosts = st.one_of(
    st.sampled_from(
        ["x.example", "[::1]", "[::1", "127.0.0.1", "xn--n3h.example", "a..b", "", "ex ample"]
    ),
    st.text(max_size=12),
)
ports = st.one_of(st.just(""), st.sampled_from([":80", ":443", ":0", ":99999", ":-1", ":x"]))
urls = st.one_of(
    st.builds(
        lambda s, sep, h, p, path: f"{s}{sep}{h}{p}{path}",
        schemes,
        st.sampled_from([":", "://", ":///", ":\\\\", " :// "]),
        hosts,
        ports,
        st.text(max_size=20),
    ),
    short_texts,
)
struct_times = st.one_of(
    st.none(),
    st.tuples(*[st.integers(-(2**40), 2**40)] * 9).map(time.struct_time),
    st.tuples(
        st.integers(1800, 2200),
        st.integers(0, 13),
        st.integers(0, 32),
        st.integers(0, 25),
        st.integers(0, 61),
        st.integers(0, 61),
        st.integers(0, 6),
        st.integers(0, 366),
        st.integers(-1, 1),
    ).map(time.struct_time),
)
entries = st.fixed_dictionaries(
    {},
    optional={
        "title": texts,
        "link": urls,
        "id": st.one_of(urls, texts),
        "summary": texts,
        "content": st.lists(st.fixed_dictionaries({"value": texts}), max_size=3),
        "author": texts,
        "authors": st.lists(st.fixed_dictionaries({}, optional={"name": texts}), max_size=3),
        "published_parsed": struct_times,
        "updated_parsed": struct_times,
    },
)


def _web_url(url: str) -> bool:
    """Written out again here, so the property does not test the code with itself."""
    try:
        parts = urlsplit(url)
        return (
            parts.scheme.lower() in {"http", "https"}
            and bool(parts.hostname)
            and (parts.port is None or 0 <= parts.port <= 65535)
        )
    except ValueError:
        return False


def _usable_web_url(url: str) -> bool:
    """A web URL whose scheme and host hold no control character or space (those are no URL;
    elsewhere in it they are percent-encoded): written out here too, not the code's own."""
    url = "".join(c for c in url if c not in "\t\n\r").strip("".join(map(chr, range(0x21))))
    if not _web_url(url):
        return False
    head = urlsplit(url).scheme + urlsplit(url).netloc
    return _clean(head) and " " not in head


_BAD = {*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0), 0xFFFE, 0xFFFF}


def _clean(value: str) -> bool:
    return not any(
        ord(c) in _BAD or 0xD800 <= ord(c) <= 0xDFFF or 0xFDD0 <= ord(c) <= 0xFDEF for c in value
    )


def _check_article(art: Article) -> None:
    # No control character, lone surrogate or noncharacter in what is published; no space in
    # a URL.
    for value in (art.title, art.text, art.url, art.canonical_url, art.guid or "", *art.authors):
        assert _clean(value), value[:200]
    assert " " not in art.url + art.canonical_url, art.url
    assert _web_url(art.url), art.url
    assert _web_url(art.canonical_url), art.canonical_url
    # What a stage publishes, the next stage can read: same value back from the wire.
    assert decode(encode(art)) == art
    for instant in (art.published, art.updated, art.timestamps.fetched):
        if instant is not None:
            assert datetime.fromisoformat(instant).tzinfo is not None


@hsettings(max_examples=examples(2.0))
@given(entries)
@example({"link": "javascript:alert(1)", "title": "x"})
@example({"link": "", "id": "https://x.example/a"})
@example({"link": "http://[::1/a"})
@example({"link": "http://[::1]:8080/a"})  # found by fuzzing: the brackets were dropped
@example({"link": "http://x.example:99999/"})  # found by fuzzing: canonical_url raised
@example({"link": "http://x.example:80A/", "id": "https://x.example/a"})
@example({"link": "https://x.example/a", "published_parsed": time.struct_time((10**12,) * 9)})
@example({"link": "https://x.example/a\x05 b", "title": "t\x01\x85\ufffe\ud800", "id": "g\x00"})
@example({"link": "https://ex\x05ample/a", "id": "https://x.example/a"})
@example({"link": "http://\ufffe/a"})
def test_an_entry_becomes_an_article_or_a_typed_skip(entry: dict[str, Any]) -> None:
    art = entry_article(
        entry, feed_url=FEED.url, source_name="F", lang_hint=None, fetched=FETCHED, max_chars=5_000
    )
    if isinstance(art, SkipReason):
        assert art in SkipReason
        # A web link, or a web GUID, is never skipped for want of a URL.
        assert not _usable_web_url(entry.get("link") or "")
        assert not _usable_web_url(entry.get("id") or "")
    else:
        assert isinstance(art, Article)
        _check_article(art)
        assert len(art.text) <= 5_000
    legacy = normalize_entry(
        entry, feed_url=FEED.url, source_name="F", lang_hint=None, fetched=FETCHED, max_chars=5_000
    )
    assert legacy == (art if isinstance(art, Article) else None)


def _check_parse(body: bytes, content_type: str | None) -> None:
    try:
        items, notes, hint = parse_feed(
            body, FEED, POLL, content_type=content_type, fetched=FETCHED
        )
    except FetchError as exc:
        assert exc.kind in FetchKind
        return
    for item in items:
        _check_article(item.article)
    assert notes.total == sum(notes.skipped.values())
    assert all(reason in SkipReason for reason in notes.skipped)
    assert math.isfinite(hint) and hint >= 0


content_types = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "application/rss+xml",
            "text/xml; charset=utf-8",
            "application/atom+xml; charset=windows-1251",
            "text/html; charset=utf-16",
            "text/xml; charset=no-such-charset",
            "text/xml; charset=",
        ]
    ),
    st.text(max_size=30),
)


@hsettings(max_examples=examples(1.0))
@given(st.binary(max_size=2_000), content_types)
@example(b"", None)
@example(b"\xff\xfe<\x00", "text/xml")
@example(b'<?xml version="1.0" encoding="utf-32"?><rss/>', None)
def test_arbitrary_bytes_parse_to_items_or_a_typed_error(
    body: bytes, content_type: str | None
) -> None:
    _check_parse(body, content_type)


@st.composite
def mutated_feeds(draw: st.DrawFn) -> bytes:
    body = bytearray(draw(st.sampled_from(FEEDS)).read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(body)))
        end = draw(st.integers(at, min(len(body), at + 400)))
        how = draw(st.sampled_from(["delete", "insert", "replace", "repeat", "truncate"]))
        if how == "delete":
            del body[at:end]
        elif how == "insert":
            body[at:at] = draw(st.one_of(st.binary(max_size=40), fragments.map(str.encode)))
        elif how == "replace":
            body[at:end] = draw(st.binary(max_size=40))
        elif how == "repeat":
            body[at:at] = bytes(body[at:end]) * draw(st.integers(1, 3))
        else:
            del body[at:]
    return bytes(body)


@hsettings(max_examples=examples(0.25))
@given(mutated_feeds(), content_types)
def test_mutated_real_feeds_parse_to_items_or_a_typed_error(
    body: bytes, content_type: str | None
) -> None:
    _check_parse(body, content_type)


# Feeds written from random parts: the channel's own fields (language, ttl, update period) and
# items' dates reach code that byte mutations of real feeds rarely get to. Short texts only: huge
# ones are the entry test's business, and made each example cost up to a second here.
numbers = st.one_of(
    st.integers(-5, 10**6).map(str),
    st.sampled_from(["", " 5 ", "²", "١٢", "1e3", "0x10", "9" * 5000, "-0", "½"]),
    st.text(max_size=6),
)
dates = st.one_of(
    st.sampled_from(
        [
            "Mon, 10 Feb 2025 10:00:00 GMT",
            "Mon, 10 Feb 2025 10:00:00 +2500",
            "Sun, 31 Feb 99999 25:61:61 GMT",
            "2025-02-10T10:00:00Z",
            "0000-00-00T00:00:00Z",
            "9999-12-31T23:59:59-23:59",
            "Thu, 01 Jan 1970 00:00:00 GMT",
        ]
    ),
    st.text(max_size=30),
)


@st.composite
def written_feeds(draw: st.DrawFn) -> bytes:
    def t(strategy: st.SearchStrategy[str]) -> str:
        return escape(draw(strategy))

    items = []
    for _ in range(draw(st.integers(0, 4))):
        items.append(
            f"<item><title>{t(short_texts)}</title><link>{t(urls)}</link>"
            f"<guid>{t(st.one_of(urls, short_texts))}</guid>"
            f"<description>{t(short_texts)}</description>"
            f"<pubDate>{t(dates)}</pubDate><dc:creator>{t(short_texts)}</dc:creator>"
            f"<content:encoded>{t(short_texts)}</content:encoded></item>"
        )
    channel = (
        f"<title>{t(short_texts)}</title><language>{t(st.text(max_size=8))}</language>"
        f"<ttl>{t(numbers)}</ttl><sy:updatePeriod>"
        f"{t(st.sampled_from(['hourly', 'daily', 'weekly', 'monthly', 'yearly', 'x']))}"
        f"</sy:updatePeriod><sy:updateFrequency>{t(numbers)}</sy:updateFrequency>"
    )
    doc = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">'
        f"<channel>{channel}{''.join(items)}</channel></rss>"
    )
    return doc.encode("utf-8", "surrogatepass")


@hsettings(max_examples=examples(1.0))
@given(written_feeds(), content_types)
def test_written_feeds_parse_to_items_or_a_typed_error(
    body: bytes, content_type: str | None
) -> None:
    _check_parse(body, content_type)


def test_an_ipv6_link_keeps_its_brackets_in_the_canonical_url() -> None:
    """Found by fuzzing: ``http://[::1]/a`` became ``http://::1/a``, which is not a URL."""
    art = entry_article(
        {"link": "http://[2001:db8::1]:8080/a"},
        feed_url=FEED.url,
        source_name="F",
        lang_hint=None,
        fetched=FETCHED,
    )
    assert isinstance(art, Article)
    assert art.canonical_url == "http://[2001:db8::1]:8080/a"
    _check_article(art)


@pytest.mark.parametrize(
    "markup",
    [
        "&#x110000;",
        "&#xFFFFFFFF;",
        "&#xD800;",
        "&#2000000;",
        "</height>",
        "</width>",
        "</media:player>",
        "</creativeCommons:license>",
        "<gml:pos>1 2</gml:pos>",
    ],
)
def test_markup_feedparser_raises_on_is_a_typed_parse_error_or_text(markup: str) -> None:
    """Found by fuzzing: feedparser 6.0.14 raised ValueError, OverflowError or
    UnicodeEncodeError on character references outside Unicode (feedparser issue #591), and
    TypeError or KeyError on these stray end tags and a gml:pos outside georss:where."""
    body = (
        '<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" '
        'xmlns:gml="http://www.opengis.net/gml"><channel><title>T</title>'
        f"<link>{markup}https://x.example/</link><item><title>A{markup}</title>"
        "<link>https://x.example/a</link></item></channel></rss>"
    ).encode()
    _check_parse(body, None)
