"""Pure rules of an item's path (no stack): article URLs, text hygiene, charsets, identity."""

from __future__ import annotations

from collections.abc import Callable
from xml.sax.saxutils import escape

import pytest

from diplowire.ingest.charset import declared_charsets, to_utf8
from diplowire.ingest.feeds import Feed
from diplowire.ingest.identity import resolve, title_key
from diplowire.ingest.normalize import (
    article_id,
    canonical_url,
    content_hash,
    entry_link,
    html_to_text,
)
from diplowire.ingest.outcomes import Recode, SkipReason
from diplowire.ingest.parse import Item, guid_key, parse_feed
from diplowire.ingest.state import Seen
from diplowire.wire.article import SCHEMA_VERSION, Article, Source, Timestamps
from diplowire.wire.settings import PollSettings
from tests.ingest import feedfiles as ff

FEED = Feed(url="https://f.example/feed", name="F")
FETCHED = "2026-01-01T00:00:00.000Z"


def _items(body: bytes, content_type: str | None = None) -> list[Item]:
    items, _notes, _hint = parse_feed(
        body, FEED, PollSettings(), content_type=content_type, fetched=FETCHED
    )
    return items


# --- article URLs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "java\tscript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "ftp://ftp.example.org/a.txt",
        "/relative/path.html",
        "https:no-host",
    ],
)
def test_only_http_urls_are_article_urls(link: str) -> None:
    assert entry_link({"link": link}) == SkipReason.NON_HTTP_URL
    assert entry_link({"link": link, "id": "12345"}) == SkipReason.NON_HTTP_URL
    # A permalink GUID that is an http(s) URL stands in for the link.
    guid = ff.un_items()[0]["link"]
    assert entry_link({"link": link, "id": guid}) == guid


def test_ipv6_hosts_keep_their_brackets_in_the_canonical_url() -> None:
    assert canonical_url("http://[::1]") == "http://[::1]/"
    assert (
        canonical_url("HTTP://[2001:DB8::1]:8080/a?utm_source=x") == "http://[2001:db8::1]:8080/a"
    )
    assert entry_link({"link": "http://[::1]/a"}) == "http://[::1]/a"


def test_an_entry_without_any_url_is_no_url() -> None:
    assert entry_link({"title": "x"}) == SkipReason.NO_URL
    assert entry_link({"id": "12345"}) == SkipReason.NO_URL
    assert entry_link({"link": " https://a.example/x "}) == "https://a.example/x"


def test_parse_counts_non_http_entries_per_reason() -> None:
    un = ff.un_items()
    links = ["javascript:alert(1)", "data:text/html,x", "vbscript:x", "file:///etc/passwd"]
    entries = "".join(
        f"<item><title>{escape(un[n]['title'])}</title><link>{escape(link)}</link></item>"
        for n, link in enumerate(links)
    )
    entries += f"<item><title>{escape(un[5]['title'])}</title></item>"  # no link at all
    entries += f"<item><title>{escape(un[6]['title'])}</title><link>{un[6]['link']}</link></item>"
    body = f'<rss version="2.0"><channel><title>T</title>{entries}</channel></rss>'.encode()
    items, notes, _hint = parse_feed(body, FEED, PollSettings(), fetched=FETCHED)
    assert [i.article.url for i in items] == [un[6]["link"]]
    assert notes.skipped == {SkipReason.NON_HTTP_URL: 4, SkipReason.NO_URL: 1}
    assert notes.total == 5


# --- text hygiene -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "escaped",
    [
        "<script>alert(1)</script>",  # what the XML parser gives for &lt;script&gt;
        "&lt;script&gt;alert(1)&lt;/script&gt;",  # escaped once more (&amp;lt;script...)
        "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;",
        "&lt;SCRIPT type=&quot;text/javascript&quot;&gt;alert(1)&lt;/SCRIPT&gt;",
        "&lt;script&gt;alert(1)",  # never closed
        "&#60;script&#62;alert(1)&#60;/script&#62;",
        "&lt;style&gt;body{}&lt;/style&gt;&lt;b&gt;",
    ],
)
def test_escaped_markup_is_unescaped_then_stripped(escaped: str) -> None:
    title = ff.un_items()[0]["title"].strip()
    out = html_to_text(f"{title} {escaped}")
    assert out == title
    assert "<" not in out and "alert(" not in out and "body{}" not in out


def test_plain_ampersands_and_lone_brackets_are_kept() -> None:
    assert html_to_text("AT&T and R&D; 3 < 5") == "AT&T and R&D; 3 < 5"
    assert html_to_text("Tom &amp;amp; Jerry") == "Tom & Jerry"


# --- charsets -----------------------------------------------------------------------------


def _liga(declaration: str = 'encoding="UTF-8"') -> str:
    return f'<?xml version="1.0" {declaration}?>\n' + ff.real("liga-novosti-ru.xml").decode()


def test_declared_charsets_follow_feedparser_order() -> None:
    body = b'<?xml version="1.0" encoding="windows-1251"?><rss/>'
    assert declared_charsets(body, "application/rss+xml; charset=KOI8-R") == [
        "koi8-r",
        "windows-1251",
        "utf-8",
    ]
    assert declared_charsets(b"\xef\xbb\xbf<rss/>", None) == ["utf-8-sig", "utf-8"]


def test_windows_1251_declared_as_utf8_is_redetected() -> None:
    body = _liga().encode("cp1251")
    fixed = to_utf8(body, "application/rss+xml; charset=utf-8")
    assert fixed is not None and fixed.outcome is Recode.REDETECTED
    assert fixed.used == "cp1251" and fixed.declared == "utf-8"
    assert fixed.content_type == "application/rss+xml; charset=utf-8"
    assert fixed.body.decode("utf-8").endswith(ff.real("liga-novosti-ru.xml").decode())
    # Parsed, the titles are the real Cyrillic ones, with or without the HTTP header.
    reference = [i.article.title for i in _items(_liga().encode("utf-8"))]
    assert reference[0].startswith("Футбол") and len(reference) == 12
    for ct in (None, "application/rss+xml; charset=utf-8", "text/xml"):
        assert [i.article.title for i in _items(body, ct)] == reference


def test_valid_bodies_are_untouched() -> None:
    assert to_utf8(_liga().encode("utf-8"), None) is None
    assert to_utf8(_liga('encoding="windows-1251"').encode("cp1251"), None) is None
    assert to_utf8(ff.reencoded("windows-1252"), "text/xml") is None


def test_mostly_utf8_with_a_few_broken_bytes_keeps_its_accents() -> None:
    # Three "é" of the real Libération feed written as Latin-1 bytes inside UTF-8: the stray
    # bytes are read as windows-1252, everything else as UTF-8, so the document is whole again.
    real = ff.real("liberation-une.xml")
    body = real.replace("é".encode(), b"\xe9", 3)
    fixed = to_utf8(body, None)
    assert fixed is not None and fixed.outcome is Recode.MIXED and fixed.used == "utf-8"
    text = fixed.body.decode("utf-8")
    assert "\ufffd" not in text
    assert text.split("?>", 1)[1] == real.decode().split("?>", 1)[1]


# --- identity -----------------------------------------------------------------------------


def _item(n: int, *, guid: str | None, link: str | None = None, text: str | None = None) -> Item:
    """The real UN item ``n`` as the poller's parser makes it (other link or text if given)."""
    un = ff.un_items()[n]
    url = link or un["link"]
    canonical = canonical_url(url)
    art = Article(
        schema_version=SCHEMA_VERSION,
        id=article_id(canonical),
        version=1,
        url=url,
        canonical_url=canonical,
        title=html_to_text(un["title"]),
        text=text or html_to_text(un["summary"]),
        published=FETCHED,
        published_from="fetched",
        source=Source(name=FEED.name or "", feed_url=FEED.url),
        timestamps=Timestamps(fetched=FETCHED),
        guid=guid,
    )
    return Item(art, content_hash(art), guid_key(guid, FEED.url))


def _memory(item: Item, owner: Item) -> Callable[[str], str | None]:
    """A GUID memory that maps ``item``'s GUID to ``owner``'s article."""
    assert item.guid_key is not None
    return {item.guid_key: owner.article.id}.get


def test_a_guid_shared_by_two_links_is_not_used() -> None:
    a, b = _item(0, guid="1"), _item(1, guid="1")
    # Even a memory that already maps the GUID to one of them does not merge them.
    res = resolve([a, b], _memory(a, b), lambda _id: None)
    assert [i.article.id for i in res.items] == [a.article.id, b.article.id]
    assert [i.guid_key for i in res.items] == [None, None]
    assert res.shared_guids == [a.guid_key] and not res.collisions


def test_a_reused_guid_on_another_article_is_a_new_article() -> None:
    a, b = _item(0, guid="7"), _item(1, guid="7")
    seen = {a.article.id: Seen(a.digest, 1, 0.0, title_key(a.article.title))}
    res = resolve([b], _memory(b, a), seen.get)
    assert [i.article.id for i in res.items] == [b.article.id]
    assert res.items[0].guid_key == b.guid_key  # the GUID now names b


def test_a_guid_keeps_its_article_when_only_the_url_changed() -> None:
    old = _item(2, guid="9")
    moved = _item(2, guid="9", link=ff.un_items()[2]["link"] + "-moved", text="edited text")
    seen = {old.article.id: Seen(old.digest, 1, 0.0, title_key(old.article.title))}
    res = resolve([moved], _memory(moved, old), seen.get)
    assert [i.article.id for i in res.items] == [old.article.id]
    assert res.items[0].article.url.endswith("-moved")
    # Unless the old URL is itself in the document: then the GUID names something else now.
    res = resolve([moved, old], _memory(moved, old), seen.get)
    assert res.items[0].article.id == moved.article.id != old.article.id


def test_same_id_twice_in_a_document_keeps_the_first_and_reports_the_other() -> None:
    a = _item(3, guid=None)
    edited = _item(3, guid=None, text="another text under the same link")
    res = resolve([a, a, edited], lambda _k: None, lambda _id: None)
    assert res.items == [a] and res.repeats == 1
    assert res.collisions == [(edited, a)]
