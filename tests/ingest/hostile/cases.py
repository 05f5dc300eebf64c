"""The hostile corpus: one row per hostile input, with the outcome the poller must report for it.

Each case serves its routes under ``/<name>/`` on the hostile server (the feed itself at
``/<name>/feed`` unless ``url`` says otherwise), is polled once by the real poller in a fresh
process (tests/ingest/hostile/runner.py) publishing to the real Kafka, and must end with:

- ``label``: the outcome the poll report gives the feed: a FetchError kind counted in
  ``PollReport.failures`` (``hostile_xml``, ``oversized``, ``timeout``...), else ``ok`` or
  ``unchanged``;
- within ``time_s`` seconds (the poll pass itself, Kafka acknowledgements included) and with
  the poll's resident-set growth under ``mem_mb`` (and the whole process under 256 MB);
- ``check``: what else must hold (articles published, what they must not contain, routes that
  must never have been requested), run on an :class:`Outcome`.

Feed bodies are built from the real UN News items of tests/ingest/fixtures (feedfiles.un_items):
only the hostile part is made up.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import feedparser

from diplowire.ingest.normalize import html_to_text
from diplowire.wire.article import Article
from tests.ingest import feedfiles as ff
from tests.ingest.hostile import server as hs
from tests.ingest.hostile.bodies import (
    BAD_DATES,
    LAUGHS_UTF16,
    NEWS_HOMEPAGE,
    QUADRATIC,
    XHTML_PAGE,
    behind_comment,
    dated,
    endless_items,
    endless_slow,
    garbage,
    header_charset_lie,
    item,
    many_items,
    mixed_encoding,
    nested,
    param_entity,
    rss,
    un,
    with_char_refs,
    with_controls,
    with_nuls,
    xinclude,
    zeros_bomb,
)

MAX_BYTES = 1_000_000
"""max_feed_bytes of the corpus unless a case says otherwise."""
TIMEOUT_S = 2.0
"""fetch_timeout_s of the corpus."""
LIBE = "liberation-une.xml"
TOTAL_MB = 256
"""No case's process may peak above this, whatever its input."""


@dataclass
class Outcome:
    """What one case produced, as the assertions see it."""

    name: str
    result: dict[str, Any]
    """The runner's JSON for the case (per pass: label, report, health, elapsed, memory)."""
    articles: list[Article]
    """Articles of this case's feed found on the raw topic."""
    hits: list[str]
    """Paths of this case requested from the hostile server, in order."""
    port: int
    """The hostile server's port (on 127.0.0.1)."""

    @property
    def report(self) -> dict[str, Any]:
        return dict(self.result["passes"][-1]["report"])


Check = Callable[[Outcome], None]


@dataclass(frozen=True)
class Case:
    name: str
    routes: Callable[[hs.HostileServer, str], dict[str, hs.Route]]
    """(server, this case's path prefix) -> routes relative to the prefix ("feed", "leak"...)."""
    label: str
    time_s: float = 6.0
    mem_mb: float = 32.0
    url: Callable[[hs.HostileServer, str], str] | None = None
    feed: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    check: Check | None = None
    passes: int = 1
    """Poll passes in the same state (the route may answer each differently); the label, time
    and memory bounds apply to each, the checks to the end result."""


def iter_take(it: Iterator[bytes], n: int) -> list[bytes]:
    return [next(it) for _ in range(n)]


def feed_only(route: hs.Route) -> Callable[[hs.HostileServer, str], dict[str, hs.Route]]:
    return lambda _srv, _p: {"feed": route}


# -- checks ---------------------------------------------------------------------------------------


def published(n: int) -> Check:
    def check(o: Outcome) -> None:
        assert o.report["published"] == n, o.report
        assert len(o.articles) == n

    return check


def never_requested(*paths: str) -> Check:
    def check(o: Outcome) -> None:
        for p in paths:
            assert not any(h.endswith("/" + p) for h in o.hits), (p, o.hits)

    return check


def all_of(*checks: Check) -> Check:
    def check(o: Outcome) -> None:
        for c in checks:
            c(o)

    return check


def nothing_leaked(o: Outcome) -> None:
    for a in o.articles:
        assert "root:" not in a.body() and "/bin/" not in a.body(), a.title


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")


def clean_text(o: Outcome) -> None:
    """No control character (C0 but tab and newlines, DEL, C1), lone surrogate or noncharacter
    in what was published, nor a space in a URL."""
    for a in o.articles:
        values = (a.title, a.text, a.url, a.canonical_url, a.guid or "", *a.authors, a.source.name)
        for value in values:
            assert not _CONTROL.search(value), (a.id, value[:200])
        assert " " not in a.url + a.canonical_url, a.url


def titles_of(real: str | bytes) -> Check:
    """The published titles are those of the real (UTF-8) feed file, or of the given reference
    document: no mojibake, no stray character, nothing lost."""

    def check(o: Outcome) -> None:
        ref = ff.real(real) if isinstance(real, str) else real
        want = {html_to_text(e.title) for e in feedparser.parse(ref).entries}
        assert {a.title for a in o.articles} == want, sorted({a.title for a in o.articles})[:3]

    return check


def urls_end_with(*tails: str) -> Check:
    def check(o: Outcome) -> None:
        urls = {a.url for a in o.articles}
        for tail in tails:
            assert any(u.endswith(tail) for u in urls), (tail, sorted(urls))

    return check


def sane_dates(o: Outcome) -> None:
    for a in o.articles:
        assert re.fullmatch(
            r"(199\d|20\d\d|2100)-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", a.published
        ), a.published


# -- the table ------------------------------------------------------------------------------------

R = hs.reply
CASES: list[Case] = [
    # XML entities and external resources: refused before any parser sees them.
    Case("billion_laughs", feed_only(R(ff.BILLION_LAUGHS)), "hostile_xml"),
    Case("billion_laughs_utf16", feed_only(R(LAUGHS_UTF16)), "hostile_xml"),
    Case(
        "billion_laughs_utf32",
        feed_only(R(ff.BILLION_LAUGHS.decode().encode("utf-32"))),
        "hostile_xml",
    ),
    Case("quadratic_blowup", feed_only(R(QUADRATIC)), "hostile_xml"),
    Case(
        "xxe_file",
        feed_only(R(ff.xxe("file:///etc/passwd"))),
        "hostile_xml",
        check=nothing_leaked,
    ),
    Case(
        "xxe_url",
        lambda srv, p: {"feed": R(ff.xxe(srv.url(p + "leak"))), "leak": R(b"secret")},
        "hostile_xml",
        check=never_requested("leak"),
    ),
    Case(
        "xxe_parameter_entity",
        lambda srv, p: {"feed": R(param_entity(srv.url(p + "evil.dtd"))), "evil.dtd": R(b"")},
        "hostile_xml",
        check=never_requested("evil.dtd"),
    ),
    Case(
        "entities_behind_comment",
        feed_only(R(behind_comment(ff.xxe("file:///etc/passwd")))),
        "hostile_xml",
    ),
    Case(
        "external_dtd_not_fetched",
        lambda srv, p: {"feed": R(ff.external_dtd(srv.url(p + "x.dtd"))), "x.dtd": R(b"")},
        "ok",
        check=all_of(published(30), never_requested("x.dtd")),
    ),
    Case(
        "ebcdic", feed_only(R(un(2).decode().encode("cp500", "xmlcharrefreplace"))), "hostile_xml"
    ),
    Case(
        "xinclude_ignored",
        feed_only(R(xinclude())),
        "ok",
        check=all_of(published(1), nothing_leaked),
    ),
    # Structure: feedparser spends 30-60 us of CPU per element and ~360 bytes per level of
    # nesting; before it, check_xml refuses nesting past max_feed_depth (100) as hostile_xml and
    # more than max_feed_elements (100,000) as too_many_elements, in one linear scan.
    Case("deeply_nested", feed_only(R(nested(20_000))), "hostile_xml", time_s=1.0),
    Case(
        "nested_9_8mb",  # 137 s and 612 MB before the limits
        feed_only(R(nested(1_400_000))),
        "hostile_xml",
        time_s=3.0,
        mem_mb=64.0,
        settings={"max_feed_bytes": 10_000_000},
    ),
    Case(
        "nested_malformed",  # a stray control character: feedparser's lenient parser
        feed_only(R(nested(400_000).replace(b"<channel>", b"<channel>\x01"))),
        "hostile_xml",
        time_s=2.0,
        mem_mb=48.0,
        settings={"max_feed_bytes": 10_000_000},
    ),
    Case("nested_at_the_limit", feed_only(R(nested(98))), "ok", time_s=2.0, check=published(2)),
    Case(
        "flat_9_8mb",  # 2.45 million empty elements: 139 s before
        feed_only(R(rss(item(0) + "<x/>" * 2_450_000 + item(1)))),
        "too_many_elements",
        time_s=3.0,
        mem_mb=64.0,
        settings={"max_feed_bytes": 10_000_000},
    ),
    # Compression bombs and broken compression.
    Case("gzip_bomb", feed_only(R(zeros_bomb("gzip"), Content_Encoding="gzip")), "oversized"),
    Case(
        "gzip_bomb_of_items",
        feed_only(
            R(gzip.compress(b"".join(iter_take(endless_items(), 400))), Content_Encoding="gzip")
        ),
        "oversized",
    ),
    Case(
        "deflate_bomb",
        feed_only(R(zeros_bomb("zlib"), Content_Encoding="deflate")),
        "oversized",
    ),
    Case(
        "raw_deflate_bomb",
        feed_only(R(zeros_bomb("raw"), Content_Encoding="deflate")),
        "oversized",
    ),
    Case("gzip_corrupt", feed_only(R(garbage(5000), Content_Encoding="gzip")), "bad_encoding"),
    Case(
        "gzip_twice",
        feed_only(R(gzip.compress(gzip.compress(un(3))), Content_Encoding="gzip, gzip")),
        "unparsable",
    ),
    # Bodies that never end, servers that never answer.
    Case("endless_body", feed_only(hs.stream(endless_items, chunked=False)), "oversized"),
    Case("endless_chunked", feed_only(hs.stream(endless_items, chunked=True)), "oversized"),
    Case("endless_slow_body", feed_only(hs.stream(endless_slow, chunked=True)), "timeout"),
    Case("trickled_status_line", feed_only(hs.trickle(b"HTTP/1.1 2", b"0")), "timeout"),
    Case("trickled_headers", feed_only(hs.trickle(b"HTTP/1.1 200 OK\r\nX-Slow: ")), "timeout"),
    Case("never_answers", feed_only(hs.silent), "timeout"),
    Case("hangs_up", feed_only(hs.hang_up), "unreachable"),
    Case("connection_reset", feed_only(hs.reset), "unreachable"),
    Case("huge_header", feed_only(R(un(2), X_Big="a" * 1_000_000)), "unreachable"),
    Case(
        "header_flood",
        feed_only(R(un(2), extra={f"X-H{i}": "v" for i in range(500)})),
        "unreachable",
    ),
    Case("content_length_too_long", feed_only(R(un(3), length=len(un(3)) + 5000)), "truncated"),
    Case("content_length_too_short", feed_only(R(un(3), length=len(un(3)) // 2)), "ok"),
    Case("content_length_huge", feed_only(R(un(3), length=10**12)), "oversized"),
    Case("content_length_garbage", feed_only(R(un(3), length=-5)), "ok"),
    Case("status_204", feed_only(R(b"", 204)), "empty"),
    Case("status_304_unasked", feed_only(R(b"", 304)), "unchanged"),
    Case("status_500_huge_body", feed_only(R(b"x" * 5_000_000, 500)), "http_error"),
    Case("status_999", feed_only(R(un(2), 999)), "http_error"),
    # Not a feed where a feed was expected.
    Case("news_homepage", feed_only(R(NEWS_HOMEPAGE, content_type="text/html")), "unparsable"),
    Case(
        "xhtml_page",
        feed_only(R(XHTML_PAGE, content_type="application/xhtml+xml")),
        "unparsable",
    ),
    Case(
        "html_page_plain",
        feed_only(
            R(
                b"<!DOCTYPE html><html><head><title>Login</title></head>"
                b"<body><form></form></body></html>",
                content_type="text/html",
            )
        ),
        "unparsable",
    ),
    Case(
        "json_document",
        feed_only(
            R(b'{"items": [{"url": "https://news.un.org/a"}]}', content_type="application/json")
        ),
        "unparsable",
    ),
    Case("empty_body", feed_only(R(b"")), "empty"),
    Case("whitespace_body", feed_only(R(b" \r\n\t " * 1000)), "empty"),
    Case(
        "binary_garbage",
        feed_only(R(garbage(200_000), content_type="application/octet-stream")),
        "unparsable",
    ),
    Case(
        "png_image",
        feed_only(R(b"\x89PNG\r\n\x1a\n" + garbage(50_000), content_type="image/png")),
        "unparsable",
    ),
    Case("truncated_xml", feed_only(R(un(5)[: len(un(5)) // 2])), "ok"),
    # Redirects.
    Case(
        "redirect_loop", lambda srv, p: {"feed": hs.redirect(302, p + "feed")}, "too_many_redirects"
    ),
    Case(
        "redirect_ping_pong",
        lambda srv, p: {"feed": hs.redirect(301, p + "b"), "b": hs.redirect(308, p + "feed")},
        "too_many_redirects",
    ),
    Case(
        "redirect_chain_6",
        lambda srv, p: {
            **{f"r{i}": hs.redirect(302, f"{p}r{i + 1}") for i in range(6)},
            "feed": hs.redirect(302, p + "r0"),
            "r6": R(un(2)),
        },
        "too_many_redirects",
        check=never_requested("r6"),
    ),
    Case(
        "redirect_chain_5",
        lambda srv, p: {
            **{f"r{i}": hs.redirect(307, f"{p}r{i + 1}") for i in range(4)},
            "feed": hs.redirect(307, p + "r0"),
            "r4": R(un(2)),
        },
        "ok",
        check=published(2),
    ),
    Case("redirect_to_file", feed_only(hs.redirect(301, "file:///etc/passwd")), "bad_url"),
    Case("redirect_to_ftp", feed_only(hs.redirect(302, "ftp://127.0.0.1/feed.xml")), "bad_url"),
    Case(
        "redirect_to_data", feed_only(hs.redirect(302, "data:text/xml;base64,PHJzcy8+")), "bad_url"
    ),
    Case("redirect_to_javascript", feed_only(hs.redirect(302, "javascript:alert(1)")), "bad_url"),
    Case("redirect_without_location", feed_only(R(b"", 302)), "http_error"),
    # Encodings.
    Case(
        "latin1_declared",
        feed_only(R(ff.reencoded("iso-8859-1"))),
        "ok",
        check=all_of(published(20), clean_text, titles_of(LIBE)),
    ),
    Case(
        "utf16_bom",
        feed_only(R(ff.reencoded("utf-16"))),
        "ok",
        check=all_of(published(20), titles_of(LIBE)),
    ),
    Case(
        "declared_utf8_is_latin1",
        feed_only(R(header_charset_lie())),
        "ok",
        check=all_of(published(20), titles_of(LIBE)),
    ),
    Case(
        "mixed_encoding",
        feed_only(R(mixed_encoding())),
        "ok",
        check=all_of(published(3), clean_text, titles_of(mixed_encoding("utf-8"))),
    ),
    Case(
        "bom_contradicts_declaration",
        feed_only(R(b"\xef\xbb\xbf" + ff.reencoded("iso-8859-1"))),
        "ok",
        check=all_of(published(20), titles_of(LIBE)),
    ),
    # Dates, volume, control characters.
    Case(
        "invalid_dates",
        feed_only(R(dated(BAD_DATES))),
        "ok",
        check=all_of(published(len(BAD_DATES)), sane_dates),
    ),
    Case(
        "invalid_atom_dates",
        feed_only(R(dated(BAD_DATES, "dc:date"))),
        "ok",
        check=all_of(published(len(BAD_DATES)), sane_dates),
    ),
    Case(
        "items_50000",  # 150,000 elements in 9 MB: 35 s before, refused by the element limit
        feed_only(R(many_items(50_000))),
        "too_many_elements",
        time_s=3.0,
        mem_mb=64.0,
        settings={"max_feed_bytes": 20_000_000},
    ),
    Case(
        "items_20000",  # 60,000 elements: under the limit, every item published
        feed_only(R(many_items(20_000))),
        "ok",
        time_s=40.0,
        mem_mb=150.0,
        settings={"max_feed_bytes": 20_000_000},
        check=published(20_000),
    ),
    Case("items_50000_over_limit", feed_only(R(many_items(50_000))), "oversized"),
    # Control characters (raw, as references, NULs) are dropped from text (ingest.normalize);
    # one left inside a link's path is percent-encoded, as browsers do.
    Case(
        "control_characters",
        feed_only(R(with_controls())),
        "ok",
        check=all_of(published(3), clean_text, titles_of(un(3)), urls_end_with("%05x")),
    ),
    Case(
        "control_char_refs",
        feed_only(R(with_char_refs())),
        "ok",
        check=all_of(published(2), clean_text, titles_of(un(2))),
    ),
    Case(
        "nul_bytes",
        feed_only(R(with_nuls())),
        "ok",
        check=all_of(published(3), clean_text, titles_of(un(3))),
    ),
    Case(
        "items_without_links",
        feed_only(R(rss(item(0, link="") + item(1, link="  ") + item(2)))),
        "ok",
        check=published(1),
    ),
    Case(
        "link_100kb",
        feed_only(R(rss(item(0, link="https://news.un.org/" + "a" * 100_000)))),
        "ok",
        check=published(1),
    ),
]
