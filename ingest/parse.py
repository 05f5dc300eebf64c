"""Checked feed bytes to items: charset repair, feedparser, normalisation, counted skips.

Pure (no state, no network), so it can run in a parse process (``parse_processes``).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

import feedparser

from diplowire.ingest import schedule
from diplowire.ingest.charset import to_utf8
from diplowire.ingest.errors import FetchError
from diplowire.ingest.feeds import Feed
from diplowire.ingest.normalize import clean_chars, content_hash, entry_article
from diplowire.ingest.outcomes import Recode, SkipReason
from diplowire.ingest.xmlcheck import check_xml
from diplowire.wire.article import Article
from diplowire.wire.clock import utc_now
from diplowire.wire.settings import PollSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Item:
    article: Article
    digest: str
    """Content hash of the feed's own title and text (before any full-text extraction), so a
    full-text article is not seen as edited when the page changes but the feed does not."""
    guid_key: str | None


@dataclass(frozen=True, slots=True)
class ParseNotes:
    """What parsing a document counted besides its items."""

    skipped: Counter[SkipReason] = field(default_factory=Counter)
    recode: Recode | None = None
    """Set when the bytes were not valid in any charset they declare (see ingest.charset)."""
    charset_note: str = ""

    @property
    def total(self) -> int:
        return sum(self.skipped.values())


def guid_key(guid: str | None, feed_url: str) -> str | None:
    """GUIDs that are URLs, URNs or tags are global; bare ones ("12345") only mean something
    within their feed, so they are scoped to it rather than merged across feeds."""
    if not guid:
        return None
    if guid.startswith(("http://", "https://", "urn:", "tag:")):
        return guid
    return f"{feed_url}#{guid}"


def parse_feed(
    body: bytes,
    feed: Feed,
    settings: PollSettings,
    *,
    content_type: str | None = None,
    fetched: str | None = None,
) -> tuple[list[Item], ParseNotes, float]:
    """Items, what was skipped (and why) and the feed's own interval hint from feed bytes."""
    limits = {"max_depth": settings.max_feed_depth, "max_elements": settings.max_feed_elements}
    check_xml(body, **limits)
    recoded = to_utf8(body, content_type)
    if recoded is not None:
        log.warning("feed %s: %s", feed.url, recoded.describe())
        # The detector may have chosen a charset in which the bytes read differently: the
        # document feedparser will see is checked again.
        body, content_type = recoded.body, recoded.content_type
        check_xml(body, **limits)
    headers = {"content-type": content_type} if content_type else None
    # Only checked bytes reach the parser, never a URL (feedparser would fetch it itself).
    try:
        parsed = feedparser.parse(
            body, sanitize_html=False, resolve_relative_uris=False, response_headers=headers
        )
    except Exception as exc:
        # feedparser (6.0.14) is meant to set bozo rather than raise, but some malformed input
        # makes it raise: a character reference outside Unicode, &#x110000; (ValueError),
        # &#xFFFFFFFF; (OverflowError), &#xD800; (UnicodeEncodeError) (feedparser issue #591);
        # a stray </height> or </width> (TypeError); a stray </media:player> or
        # </creativeCommons:license>, a gml:pos outside georss:where (KeyError). Found by
        # fuzzing (tests/ingest/test_fuzz_normalize.py); the document is unparsable either way.
        raise FetchError(
            "unparsable", f"not a feed: feedparser failed: {type(exc).__name__}: {exc}"
        ) from exc
    if not parsed.entries and (parsed.bozo or not parsed.version):
        # No entries and no feed format recognised (an HTML page, say): not an empty feed.
        why = parsed.get("bozo_exception") or "no RSS/Atom/RDF root element"
        raise FetchError("unparsable", f"not a feed: {why}")
    fetched = fetched or utc_now()
    # The feed's own language and title are carried in every article: as clean as its text.
    lang = feed.lang or clean_chars(parsed.feed.get("language") or "").split("-")[0].lower() or None
    name = feed.name or clean_chars(parsed.feed.get("title") or "").strip() or feed.url
    items: list[Item] = []
    skipped: Counter[SkipReason] = Counter()
    for entry in parsed.entries:
        art = entry_article(
            entry,
            feed_url=feed.url,
            source_name=name,
            lang_hint=lang,
            fetched=fetched,
            max_chars=settings.max_article_chars,
        )
        if isinstance(art, SkipReason):
            # Counted in the report and logged here, so the skip can be traced to its entry.
            skipped[art] += 1
            log.warning(
                "feed %s: entry skipped (%s): link %r, title %r",
                feed.url,
                art,
                str(entry.get("link") or "")[:200],
                str(entry.get("title") or "")[:120],
            )
            continue
        items.append(Item(art, content_hash(art), guid_key(art.guid, feed.url)))
    notes = ParseNotes(
        skipped,
        recoded.outcome if recoded else None,
        recoded.describe() if recoded else "",
    )
    return items, notes, schedule.feed_hint_s(parsed.feed)
