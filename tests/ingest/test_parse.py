"""Parsing and normalisation of real feed files and of their format/encoding variants (no stack)."""

from __future__ import annotations

import time

import pytest

from diplowire.ingest.errors import FetchError
from diplowire.ingest.feeds import Feed
from diplowire.ingest.normalize import canonical_url, fingerprint, html_to_text
from diplowire.ingest.parse import guid_key, parse_feed
from diplowire.ingest.xmlcheck import check_xml
from diplowire.wire.article import Article
from diplowire.wire.settings import PollSettings
from tests.ingest import feedfiles as ff

S = PollSettings()
FETCHED = "2026-01-01T00:00:00.000Z"


def _parse(body: bytes, content_type: str | None = None) -> list[Article]:
    items, _skipped, _hint = parse_feed(
        body,
        Feed(url="https://f.example/feed", name="F"),
        S,
        content_type=content_type,
        fetched=FETCHED,
    )
    return [i.article for i in items]


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("franceinfo-monde.xml", 20),
        ("heise-developer-atom.xml", 15),
        ("liberation-une.xml", 20),
        ("reuters-worldnews-2017.xml", 10),
        ("un-news-europe.xml", 30),
    ],
)
def test_real_feeds_parse_to_clean_articles(name: str, count: int) -> None:
    arts = _parse(ff.real(name))
    assert len(arts) == count
    for a in arts:
        assert a.title and a.title == a.title.strip()
        assert "<" not in a.title and "&amp;" not in a.title
        assert "<div" not in a.text and "<img" not in a.text and "&quot;" not in a.text
        assert a.published.endswith("Z") and a.published_from == "published"
        assert a.canonical_url.startswith("http") and "#" not in a.canonical_url
        assert len(a.id) == 32 and a.fingerprint


def test_franceinfo_char_refs_and_tracking_fragment_are_normalised() -> None:
    arts = _parse(ff.real("franceinfo-monde.xml"))
    assert any("é" in a.title for a in arts)
    assert all("xtor" not in a.canonical_url for a in arts)


def test_reuters_escaped_html_descriptions_become_text() -> None:
    arts = _parse(ff.real("reuters-worldnews-2017.xml"))
    bashiqa = next(a for a in arts if "Turkish forces" in a.title)
    assert "Iraq" in bashiqa.text and "feedflare" not in bashiqa.text


@pytest.mark.parametrize("build", [ff.rss091, ff.rdf10, ff.atom])
def test_rss091_rdf_and_atom_variants_of_real_items(build: object) -> None:
    arts = _parse(build())  # type: ignore[operator]
    reference = ff.un_items()[:10]
    assert [a.title for a in arts] == [html_to_text(i["title"]) for i in reference]
    assert [a.canonical_url for a in arts] == [canonical_url(i["link"]) for i in reference]
    assert all(a.text for a in arts)
    if build is not ff.rss091:  # RSS 0.91 items carry no date: the fallback is used
        assert all(a.published_from in ("published", "updated") for a in arts)
    else:
        assert all(a.published == FETCHED and a.published_from == "fetched" for a in arts)


@pytest.mark.parametrize("codec", ["windows-1252", "iso-8859-1"])
def test_declared_single_byte_encodings(codec: str) -> None:
    arts = _parse(ff.reencoded(codec))
    utf8 = _parse(ff.real("liberation-une.xml"))
    assert [a.title for a in arts] == [a.title for a in utf8]
    assert any("’" in a.title or "«" in a.title for a in arts)


def test_http_charset_wins_over_a_wrong_declaration() -> None:
    body = ff.reencoded("windows-1252").replace(b'encoding="windows-1252"', b'encoding="utf-8"')
    arts = _parse(body, content_type="application/rss+xml; charset=windows-1252")
    assert any("é" in a.title for a in arts)


def test_broken_dates_fall_back_to_fetch_time() -> None:
    arts = _parse(ff.broken_dates())
    assert [a.published_from for a in arts[:3]] == ["fetched"] * 3
    assert all(a.published == FETCHED for a in arts[:3])
    assert arts[3].published_from == "fetched"  # emptied date


def test_html_in_titles_is_stripped_scripts_removed() -> None:
    arts = _parse(ff.html_titles())
    for a, ref in zip(arts, ff.un_items(), strict=False):
        assert a.title == html_to_text(ref["title"]) + " &"
        assert "x()" not in a.title and "<b>" not in a.title


def test_syndicated_copies_share_a_fingerprint() -> None:
    item = ff.un_items()[0]
    a = fingerprint(item["title"], html_to_text(item["summary"]))
    b = fingerprint(item["title"].upper() + " ", html_to_text(item["summary"]) + " ")
    assert a == b
    assert a != fingerprint(ff.un_items()[1]["title"], html_to_text(ff.un_items()[1]["summary"]))


def test_canonical_url_drops_tracking_and_fragment_keeps_real_params() -> None:
    url = "HTTPS://WWW.Example.ORG:443/a/b?id=7&utm_source=x&xtor=RSS-3&fbclid=1#top"
    assert canonical_url(url) == "https://www.example.org/a/b?id=7"


def test_bare_guids_are_scoped_to_their_feed() -> None:
    assert guid_key("12345", "https://a/feed") != guid_key("12345", "https://b/feed")
    assert guid_key("https://x/1", "https://a/feed") == guid_key("https://x/1", "https://b/feed")
    assert guid_key(None, "https://a/feed") is None


def test_feed_hints_are_read() -> None:
    body = ff.real("un-news-europe.xml").replace(b"<channel>", b"<channel><ttl>90</ttl>", 1)
    _items, _skipped, hint = parse_feed(body, Feed(url="https://f/", name="F"), S)
    assert hint == 90 * 60


# --- hostile XML: refused before any parser sees it -------------------------------------------


@pytest.mark.parametrize(
    "doc",
    [
        ff.BILLION_LAUGHS,
        ff.BILLION_LAUGHS.decode().encode("utf-16"),
        ff.BILLION_LAUGHS.decode().encode("utf-16-le"),
        ff.xxe("file:///etc/passwd"),
        # A DOCTYPE hidden behind a long comment in the prolog.
        b'<?xml version="1.0"?><!--' + b"x" * 100_000 + b"-->" + ff.xxe("file:///etc/passwd")[22:],
        # A parameter entity.
        b'<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:1/x"> %p;]><rss/>',
    ],
)
def test_hostile_documents_are_refused(doc: bytes) -> None:
    with pytest.raises(FetchError) as exc:
        check_xml(doc)
    assert exc.value.kind == "hostile_xml"


def test_entity_text_in_content_without_doctype_is_not_refused() -> None:
    # An article about XML may quote "<!ENTITY" in CDATA: no DOCTYPE, so nothing can expand.
    doc = ff.real("un-news-europe.xml").replace(b"<![CDATA[", b"<![CDATA[<!ENTITY lol 'lol'> ", 1)
    check_xml(doc)
    assert _parse(doc)


def test_rss091_doctype_without_entities_is_accepted() -> None:
    check_xml(ff.rss091())


def test_expanded_entities_never_reach_articles() -> None:
    # Even past the check (called directly on the parser), feedparser drops the declarations.
    import feedparser

    parsed = feedparser.parse(ff.xxe("file:///etc/passwd"))
    assert "root:" not in str(parsed)


def test_non_http_urls_are_never_opened() -> None:
    from diplowire.ingest.fetch import fetch

    for url in ("file:///etc/passwd", "ftp://127.0.0.1/x", "data:text/plain,hello"):
        with pytest.raises(FetchError) as exc:
            fetch(url)
        assert exc.value.kind == "bad_url"


def test_cache_headers_and_retry_after_are_read() -> None:
    from email.message import Message
    from email.utils import formatdate

    from diplowire.ingest.fetch import _max_age, _retry_after

    def headers(**kw: str) -> Message:
        m = Message()
        for k, v in kw.items():
            m[k.replace("_", "-")] = v
        return m

    assert _max_age(headers(Cache_Control="public, max-age=600")) == 600
    assert _max_age(headers(Cache_Control="no-cache")) == 0
    expires = _max_age(headers(Expires=formatdate(time.time() + 3600, usegmt=True)))
    assert expires is not None and 3590 < expires <= 3600
    assert _max_age(headers(Expires="garbage")) == 0  # invalid Expires means already expired
    assert _max_age(headers()) is None
    assert _retry_after("120") == 120
    later = _retry_after(formatdate(time.time() + 300, usegmt=True))
    assert later is not None and 290 < later <= 300
    assert _retry_after("soon") is None
