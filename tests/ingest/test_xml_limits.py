"""The structural limits of the pre-parse XML check (nesting depth, element count): pure, no stack.

The bodies are the real UN News feed (tests/ingest/fixtures) with the hostile part added.
"""

from __future__ import annotations

import dataclasses
import time

import pytest

from diplowire.ingest import xmlcheck
from diplowire.ingest.errors import FetchError, FetchKind
from diplowire.ingest.feeds import Feed
from diplowire.ingest.parse import parse_feed
from diplowire.ingest.xmlcheck import check_xml
from diplowire.wire.settings import PollSettings
from tests.ingest import feedfiles as ff
from tests.ingest.hostile import bodies

FEED = Feed(url="https://f.example/feed", name="F")


def _kind(doc: bytes, **limits: int) -> str:
    try:
        check_xml(doc, **limits)
    except FetchError as exc:
        return exc.kind.value
    return "ok"


def _flat(n: int, tag: str = "<x/>") -> bytes:
    return bodies.rss(bodies.item(0) + tag * n + bodies.item(1))


def test_settings_defaults_are_the_checks_defaults() -> None:
    fields = {f.name: f.default for f in dataclasses.fields(PollSettings)}
    assert fields["max_feed_depth"] == xmlcheck.MAX_DEPTH
    assert fields["max_feed_elements"] == xmlcheck.MAX_ELEMENTS


@pytest.mark.parametrize("name", ff.REAL)
def test_real_feeds_are_far_inside_the_limits(name: str) -> None:
    doc = ff.real(name)
    assert _kind(doc) == "ok"
    # Real feeds nest under 10 deep and need no more than a few hundred elements.
    assert _kind(doc, max_depth=10) == "ok"
    assert _kind(doc, max_elements=len(doc) // 50) == "ok"


def test_depth_is_counted_to_the_element() -> None:
    # rss and channel, then n levels of <x>: depth n + 2.
    assert _kind(bodies.nested(98)) == "ok"
    assert _kind(bodies.nested(99)) == "hostile_xml"
    assert _kind(bodies.nested(8), max_depth=10) == "ok"
    assert _kind(bodies.nested(9), max_depth=10) == "hostile_xml"


def test_element_count_is_exact_for_a_well_formed_feed() -> None:
    base = _flat(0)
    n_base = sum(base.count(f"<{t}".encode()) for t in ("rss", "channel", "item"))
    n_base += sum(base.count(f"<{t}>".encode()) for t in ("title", "link", "description"))
    n_base += base.count(b"<language>")
    assert _kind(_flat(100), max_elements=n_base + 100) == "ok"
    assert _kind(_flat(101), max_elements=n_base + 100) == "too_many_elements"


@pytest.mark.parametrize(
    ("doc", "kind"),
    [
        # 9.8 MB of nesting (1.4 million levels): 137 s and 612 MB in feedparser before.
        (bodies.nested(1_400_000), "hostile_xml"),
        # 9.8 MB of empty elements: 139 s before.
        (_flat(2_450_000), "too_many_elements"),
        # 50,000 small items (150,000 elements, 9 MB): 35 s before.
        (bodies.many_items(50_000), "too_many_elements"),
        # The same with a stray control character: expat gives up, the lenient parser would go on.
        (bodies.nested(1_400_000).replace(b"<channel>", b"<channel>\x01"), "hostile_xml"),
        # Nesting with names expat takes but an ASCII-only scan would miss.
        (bodies.rss("<é>" * 200 + "</é>" * 200), "hostile_xml"),
        # Nesting in UTF-16: the scan reads the decoded document.
        (bodies.nested(5_000).decode().encode("utf-16"), "hostile_xml"),
        # Unclosed tags (no ">"), which a lenient parser still opens.
        (b"<rss>" + b"<a b=c " * 1_000_000, "hostile_xml"),
        # Stray end tags, comments and CDATA sections cost the parser as much as elements.
        (bodies.rss("</x>" * 2_000_000), "too_many_elements"),
        (bodies.rss("<!---->" * 1_400_000), "too_many_elements"),
        (b"<rss>" + b"<!--" * 2_500_000, "too_many_elements"),
        (bodies.rss("<![CDATA[x]]>" * 800_000), "too_many_elements"),
    ],
    ids=[
        "nested_9_8mb",
        "flat_9_8mb",
        "items_50000",
        "nested_malformed",
        "nested_non_ascii_names",
        "nested_utf16",
        "unclosed_tags",
        "stray_end_tags",
        "comments",
        "unterminated_comments",
        "cdata_sections",
    ],
)
def test_hostile_structures_are_refused_fast(doc: bytes, kind: str) -> None:
    t0 = time.process_time()
    assert _kind(doc) == kind
    # The scan stops at the first limit passed: its cost is bounded by the limits.
    assert time.process_time() - t0 < 1.5


def test_unclosed_html_in_a_broken_feed_does_not_add_up() -> None:
    # A malformed feed (raw <br> and unclosed <p> in its descriptions, a stray control
    # character) is handed to feedparser's lenient parser: its unclosed HTML must not read as
    # nesting. Each </description> closes what was left open inside it.
    html = "<p>para<br>line<img src=x><p>another" * 3
    doc = bodies.rss("".join(bodies.item(i, description=html) for i in range(300)) + "\x01")
    assert _kind(doc, max_depth=10) == "ok"


def test_comments_and_cdata_hide_no_markup_from_the_limits_and_add_none() -> None:
    inside = "<x>" * 500
    doc = bodies.rss(f"<!--{inside}--><item><description><![CDATA[{inside}]]></description></item>")
    assert _kind(doc, max_depth=10) == "ok"


def test_parse_feed_applies_the_settings_limits() -> None:
    doc = bodies.un(5)
    assert len(parse_feed(doc, FEED, PollSettings())[0]) == 5
    with pytest.raises(FetchError) as exc:
        parse_feed(doc, FEED, PollSettings(max_feed_elements=20))
    assert exc.value.kind is FetchKind.TOO_MANY_ELEMENTS
    with pytest.raises(FetchError) as exc:
        parse_feed(doc, FEED, PollSettings(max_feed_depth=3))
    assert exc.value.kind is FetchKind.HOSTILE_XML
    assert "max_feed_depth" in str(exc.value)


def test_the_nested_reproducer_is_refused_before_feedparser() -> None:
    # The reproducer: 400,000 levels took 12.6 s and 193 MB in feedparser.
    t0 = time.process_time()
    with pytest.raises(FetchError) as exc:
        parse_feed(bodies.nested(400_000), FEED, PollSettings())
    assert exc.value.kind is FetchKind.HOSTILE_XML
    assert time.process_time() - t0 < 1.0


def test_binary_data_past_the_limits_is_not_a_feed_rather_than_hostile() -> None:
    # Random bytes and an image look like thousands of unclosed tags to the scan.
    garbage = bodies.garbage(200_000)
    assert _kind(garbage) == "unparsable"
    assert _kind(b"\x89PNG\r\n\x1a\n" + garbage) == "unparsable"
    # A feed with a few NULs in its text is not binary: still within the limits, or refused as
    # what it is when past them.
    assert _kind(bodies.with_nuls()) == "ok"
    assert _kind(bodies.with_nuls(), max_depth=2) == "hostile_xml"
