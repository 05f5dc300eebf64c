"""Pure functions that turn a parsed feed entry into an :class:`~wire.article.Article`."""

from __future__ import annotations

import calendar
import hashlib
import html
import re
import time
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from diplowire.ingest.outcomes import SkipReason
from diplowire.wire.article import SCHEMA_VERSION, Article, Source, Timestamps

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "xtor",
        "at_medium",
        "at_campaign",
        "wt_mc",
        "ref_src",
        "cmpid",
        "ncid",
        "ocid",
        "_ga",
        "yclid",
        "spm",
    }
)


_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    chr(plane << 16 | low) for plane in range(17) for low in (0xFFFE, 0xFFFF)
)
_BAD_CHARS = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff{_NONCHARACTERS}]")
"""What text must not carry: C0 controls but tab, newline and CR; DEL; C1 controls; lone
surrogates (not encodable as UTF-8); Unicode noncharacters (U+FDD0-FDEF, U+xFFFE/xFFFF). XML 1.0
forbids most of them, but feedparser's lenient parser, which takes over when expat refuses a
document, passes them (and ``&#1;``, ``&#xFFFE;``) through."""


def _bad_char(m: re.Match[str]) -> str:
    ch = m.group()
    if ch in "\x0b\x0c":
        return " "  # vertical tab, form feed: whitespace
    if "\x80" <= ch <= "\x9f":
        # A C1 control in text is a windows-1252 byte that was decoded as ISO-8859-1 (a feed
        # declaring one and written in the other): read it as windows-1252, as browsers do (the
        # WHATWG encoding standard maps the label ISO-8859-1 to windows-1252) and as
        # html.unescape does for &#150;. The five bytes windows-1252 leaves undefined go.
        return ch.encode("latin-1").decode("cp1252", errors="ignore")
    return ""


_BAD_BMP = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
"""Prefilter for ``_BAD_CHARS``: its 32 noncharacters above U+FFFF keep ``re`` from testing the
class with a bitmap, so a search with it walks every character through a list: 20x slower on
the bench's feed text than these two, a third of ``entry_article``'s CPU (bench/ingest.md). These
are bitmap and range tests; only text holding a bad BMP character or any character above U+FFFF
(emoji, say) is then searched with the full class (tests/ingest/test_normalize_speed.py)."""


def _may_hold_bad_chars(value: str) -> bool:
    return _BAD_BMP.search(value) is not None or _ASTRAL.search(value) is not None


def clean_chars(value: str) -> str:
    """``value`` without the characters of ``_BAD_CHARS`` (C1 controls read as windows-1252)."""
    if not _may_hold_bad_chars(value) or not _BAD_CHARS.search(value):
        return value
    return _BAD_CHARS.sub(_bad_char, value)


_URL_EDGES = "".join(map(chr, range(0x21)))
_URL_TAB_NEWLINE = re.compile("[\t\n\r]")
_URL_UNSAFE = re.compile("[\x00-\x20\x7f-\x9f]")
_URL_DROP = re.compile(f"[\ud800-\udfff{_NONCHARACTERS}]")
"""Lone surrogates cannot be percent-encoded (not UTF-8) and noncharacters mean nothing: gone."""


def clean_url(url: str) -> str | None:
    """A feed's link made fit to publish, the way browsers read one (WHATWG URL standard): tabs
    and newlines removed, controls and spaces stripped at both ends, and those left inside the
    path, query or fragment percent-encoded. None (not a URL) when the scheme or host holds one:
    no host name has a control character or a space."""
    url = _URL_TAB_NEWLINE.sub("", url).strip(_URL_EDGES)
    if not url.isascii():  # _URL_DROP's class is slow to test (see _BAD_BMP); ASCII has none
        url = _URL_DROP.sub("", url)
    if not _URL_UNSAFE.search(url):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if _URL_UNSAFE.search(parts.scheme) or _URL_UNSAFE.search(parts.netloc):
        return None
    return _URL_UNSAFE.sub(lambda m: quote(m.group(), safe=""), url)


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop default ports, fragments and tracking parameters."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower() or "http"
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"  # urlsplit drops an IPv6 literal's brackets; the URL needs them
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(query, doseq=True), ""))


def article_id(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


class _TextExtractor(HTMLParser):
    _SKIP = frozenset({"script", "style", "noscript", "template", "iframe", "svg", "head"})
    _BLOCK = frozenset(
        {
            "p",
            "div",
            "br",
            "li",
            "ul",
            "ol",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "blockquote",
            "section",
            "article",
            "tr",
            "table",
            "figure",
            "hr",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self._SKIP:
            self.skip_depth += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: Any) -> None:
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self.skip_depth:
            self.skip_depth -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(data)


_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2009\u202f]+")
_NEWLINES = re.compile(r"\s*\n\s*(\n\s*)*")
_TAGLIKE = re.compile(r"<[a-zA-Z/!]")
_WORDS = re.compile(r"\w+")
MAX_UNESCAPES = 5
"""Rounds of unescaping and stripping: feeds escape once (RSS), some twice, none five times."""


def _strip_tags(value: str) -> str:
    parser = _TextExtractor()
    parser.feed(value)
    parser.close()
    return "".join(parser.parts)


def html_to_text(value: str) -> str:
    """Plain text from HTML or from text: tags, scripts and styles removed, entities decoded.

    Entities are decoded and markup stripped in turn until neither is left, so markup that a
    feed escaped once more than usual (``&lt;script&gt;alert(1)&lt;/script&gt;`` after the XML
    parser's own unescaping) is removed, script and all, instead of surviving as literal text.
    """
    if not value:
        return ""
    text = value
    for _ in range(MAX_UNESCAPES):
        # The parser decodes the entities of the text between tags as it strips them.
        done = _strip_tags(text) if _TAGLIKE.search(text) else html.unescape(text)
        if done == text:
            break
        text = done
    else:
        # Escaped more often than any feed does: whatever markup is left goes, unread.
        text = _strip_tags(text) if _TAGLIKE.search(text) else text
    text = unicodedata.normalize("NFC", clean_chars(text))
    # One pass over the whole text: a run of _SPACES never holds a newline, so this is the same
    # as collapsing each line's runs, at one regex call instead of one per line.
    lines = [line.strip() for line in _SPACES.sub(" ", text).split("\n")]
    joined = "\n".join(lines)
    return _NEWLINES.sub(lambda m: "\n\n" if m.group(0).count("\n") > 1 else "\n", joined).strip()


def to_utc_iso(struct: time.struct_time | None) -> str | None:
    """feedparser gives UTC struct_time; reject impossible years rather than invent a date."""
    if struct is None:
        return None
    try:
        ts = calendar.timegm(struct)
        dt = datetime.fromtimestamp(ts, tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None
    if not 1990 <= dt.year <= 2100:
        return None
    return dt.isoformat().replace("+00:00", "Z")


def fingerprint(title: str, text: str) -> str:
    """Shared by syndicated copies of one wire story: case, punctuation and spacing ignored."""
    words = _WORDS.findall(f"{title} {text[:600]}".lower())
    return hashlib.sha1(" ".join(words[:80]).encode()).hexdigest()[:20]


def _entry_text(entry: Mapping[str, Any]) -> str:
    contents = entry.get("content") or []
    best = ""
    for content in contents:
        value = content.get("value") or ""
        if len(value) > len(best):
            best = value
    summary = entry.get("summary") or ""
    return html_to_text(best if len(best) > len(summary) else summary)


def _raw_get(entry: Mapping[str, Any], key: str) -> Any:
    return dict.get(entry, key) if isinstance(entry, dict) else entry.get(key)


def is_web_url(url: str) -> bool:
    """An absolute http(s) URL with a host: the only kind that is an article URL."""
    try:
        parts = urlsplit(url)
        # .port is read only to be checked: it raises for "x.example:99999" or ":80A", which
        # canonical_url would otherwise raise on (found by fuzzing).
        parts.port  # noqa: B018
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an invalid IPv6 literal or port
        return False


def entry_link(entry: Mapping[str, Any]) -> str | SkipReason:
    """The entry's article URL: its link, else its GUID when that is an http(s) URL (a permalink
    GUID); never a ``javascript:``, ``data:``, ``vbscript:``, ``file:`` or relative link."""
    raw = (entry.get("link") or "").strip()
    link = clean_url(raw)
    if link and is_web_url(link):
        return link
    guid = clean_url(entry.get("id") or "")
    if guid and is_web_url(guid):
        return guid
    return SkipReason.NON_HTTP_URL if raw else SkipReason.NO_URL


def normalize_entry(
    entry: Mapping[str, Any],
    *,
    feed_url: str,
    source_name: str,
    lang_hint: str | None,
    fetched: str,
    max_chars: int = 200_000,
) -> Article | None:
    """An article from one feed entry, or None when the entry has no usable link."""
    art = entry_article(
        entry,
        feed_url=feed_url,
        source_name=source_name,
        lang_hint=lang_hint,
        fetched=fetched,
        max_chars=max_chars,
    )
    return art if isinstance(art, Article) else None


def entry_article(
    entry: Mapping[str, Any],
    *,
    feed_url: str,
    source_name: str,
    lang_hint: str | None,
    fetched: str,
    max_chars: int = 200_000,
) -> Article | SkipReason:
    """An article from one feed entry, or why the entry cannot be one."""
    link = entry_link(entry)
    if isinstance(link, SkipReason):
        return link
    guid = clean_chars(entry.get("id") or "").strip() or None
    canonical = canonical_url(link)
    title = html_to_text(entry.get("title") or "")
    text = _entry_text(entry)[:max_chars]
    # dict.get bypasses feedparser's deprecated updated->published aliasing.
    published = to_utc_iso(_raw_get(entry, "published_parsed"))
    updated = to_utc_iso(_raw_get(entry, "updated_parsed"))
    if published:
        when, origin = published, "published"
    elif updated:
        when, origin = updated, "updated"
    else:
        when, origin = fetched, "fetched"
    authors = tuple(
        a for a in (html_to_text(x.get("name") or "") for x in entry.get("authors") or []) if a
    ) or tuple(a for a in [html_to_text(entry.get("author") or "")] if a)
    return Article(
        schema_version=SCHEMA_VERSION,
        id=article_id(canonical),
        version=1,
        url=link,
        canonical_url=canonical,
        title=title,
        text=text,
        published=when,
        published_from=origin,
        source=Source(name=source_name, feed_url=feed_url, lang_hint=lang_hint),
        timestamps=Timestamps(fetched=fetched),
        guid=guid,
        authors=authors,
        updated=updated,
        fingerprint=fingerprint(title, text),
    )


def content_hash(article: Article) -> str:
    return hashlib.sha1(f"{article.title}\x00{article.text}".encode()).hexdigest()[:20]
