"""``diplowire poll``: fetch feeds, normalise entries, publish new or changed articles."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import feedparser
from kafka import KafkaProducer
from kafka.errors import KafkaError

from ingest.feeds import Feed
from ingest.fetch import FetchError, Response, check_xml, fetch
from ingest.normalize import content_hash, normalize_entry, utc_now
from ingest.state import FeedState, FileStateStore, PollerState, Seen
from wire import topics as t
from wire.article import Article, encode, replace
from wire.settings import PollSettings

log = logging.getLogger(__name__)

DISABLE_AFTER_FAILURES = 10
MAX_BACKOFF_S = 6 * 3600


@dataclass
class PollReport:
    feeds_polled: int = 0
    feeds_ok: int = 0
    feeds_unchanged: int = 0
    feeds_failed: int = 0
    entries: int = 0
    published: int = 0
    updated: int = 0
    duplicates: int = 0
    skipped_entries: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    bytes_received: int = 0


@dataclass(frozen=True, slots=True)
class FeedResult:
    feed: Feed
    response: Response | None
    articles: tuple[Article, ...]
    skipped: int
    error: FetchError | None


def fetch_and_parse(feed: Feed, fs: FeedState, settings: PollSettings) -> FeedResult:
    """Network and parsing for one feed; pure with respect to poller state."""
    url = fs.moved_to or feed.url
    try:
        resp = fetch(
            url,
            etag=fs.etag,
            last_modified=fs.last_modified,
            timeout_s=settings.fetch_timeout_s,
            max_bytes=settings.max_feed_bytes,
            user_agent=settings.user_agent,
        )
        if resp.status == 304:
            return FeedResult(feed, resp, (), 0, None)
        check_xml(resp.body)
        # Only checked bytes reach the parser, never a URL (feedparser would fetch it itself).
        parsed = feedparser.parse(resp.body, sanitize_html=False, resolve_relative_uris=False)
    except FetchError as exc:
        return FeedResult(feed, None, (), 0, exc)
    if parsed.bozo and not parsed.entries:
        err = FetchError("unparsable", f"not a feed: {parsed.get('bozo_exception')}")
        return FeedResult(feed, resp, (), 0, err)
    fetched = utc_now()
    lang = feed.lang or (parsed.feed.get("language") or "").split("-")[0].lower() or None
    name = feed.name or parsed.feed.get("title") or url
    articles, skipped = [], 0
    for entry in parsed.entries:
        art = normalize_entry(
            entry,
            feed_url=feed.url,
            source_name=name,
            lang_hint=lang,
            fetched=fetched,
            max_chars=settings.max_article_chars,
        )
        if art is None:
            skipped += 1
        else:
            articles.append(art)
    return FeedResult(feed, resp, tuple(articles), skipped, None)


def poll_once(
    feeds: Iterable[Feed],
    settings: PollSettings,
    producer: KafkaProducer,
    store: FileStateStore,
    *,
    due_only: bool = False,
    progress: Callable[[PollReport], None] | None = None,
    workers: int = 8,
) -> PollReport:
    state = store.load()
    report = PollReport()
    now = time.time()
    todo = []
    for feed in feeds:
        fs = state.feeds.setdefault(feed.url, FeedState(url=feed.url))
        if fs.health == "disabled" or (due_only and fs.next_poll_at > now):
            continue
        todo.append((feed, fs))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = pool.map(lambda pair: fetch_and_parse(pair[0], pair[1], settings), todo)
        for result in results:
            _publish_feed(result, state, settings, producer, report)
            store.save(state)
            if progress is not None:
                progress(report)
    store.save(state)
    return report


def _publish_feed(
    result: FeedResult,
    state: PollerState,
    settings: PollSettings,
    producer: KafkaProducer,
    report: PollReport,
) -> None:
    fs = state.feeds[result.feed.url]
    report.feeds_polled += 1
    fs.last_polled = utc_now()
    interval = result.feed.interval_s or settings.default_interval_s
    if result.error is not None:
        err = result.error
        report.feeds_failed += 1
        report.failures[err.kind] = report.failures.get(err.kind, 0) + 1
        fs.failures += 1
        fs.last_error = f"{err.kind}: {err}"
        fs.health = "disabled" if fs.failures >= DISABLE_AFTER_FAILURES else "failing"
        if err.kind == "gone":
            fs.health = "disabled"
        backoff = min(interval * 2 ** min(fs.failures, 16), MAX_BACKOFF_S)
        fs.next_poll_at = time.time() + max(backoff, err.retry_after_s or 0)
        log.warning("feed %s failing (%d): %s", result.feed.url, fs.failures, fs.last_error)
        return
    resp = result.response
    assert resp is not None
    report.bytes_received += resp.wire_bytes
    fs.last_status = resp.status
    if resp.permanent_redirect:
        fs.moved_to = resp.permanent_redirect
    if resp.status == 304:
        report.feeds_unchanged += 1
        _mark_ok(fs, interval)
        return
    report.entries += len(result.articles) + result.skipped
    report.skipped_entries += result.skipped

    to_send: list[tuple[Article, str]] = []
    batch_ids: set[str] = set()
    for art in result.articles:
        known_id = state.guids.get(art.guid) if art.guid else None
        if known_id and known_id != art.id:
            art = replace(art, id=known_id)
        if art.id in batch_ids:
            report.duplicates += 1
            continue
        batch_ids.add(art.id)
        digest = content_hash(art)
        seen = state.seen.get(art.id)
        if seen is not None and seen.content_hash == digest:
            seen.last_seen = time.time()
            report.duplicates += 1
            continue
        if seen is not None:
            art = replace(art, version=seen.version + 1)
            report.updated += 1
        to_send.append((art, digest))

    futures = []
    for art, _ in to_send:
        art = replace(art, timestamps=replace(art.timestamps, produced=utc_now()))
        futures.append(
            producer.send(
                settings.kafka.topics.raw,
                key=art.id.encode(),
                value=encode(art),
                headers=[(t.H_SCHEMA_VERSION, str(art.schema_version).encode())],
            )
        )
    producer.flush(timeout=60)
    delivered = 0
    for (art, digest), fut in zip(to_send, futures, strict=True):
        try:
            fut.get(timeout=0)
        except KafkaError as exc:
            # Not acknowledged: state is not advanced, so the next poll sends it again.
            report.failures["publish_failed"] = report.failures.get("publish_failed", 0) + 1
            log.error("article %s not acknowledged by Kafka: %s", art.id, exc)
            continue
        delivered += 1
        state.seen[art.id] = Seen(digest, art.version, time.time())
        if art.guid:
            state.guids[art.guid] = art.id
    report.published += delivered
    fs.articles_published += delivered
    if delivered < len(to_send):
        # Keep validators unchanged so the next poll refetches the whole feed.
        fs.health, fs.last_error = "failing", "publish_failed: Kafka did not acknowledge"
        fs.failures += 1
        report.feeds_failed += 1
        return
    fs.etag, fs.last_modified = resp.etag, resp.last_modified
    report.feeds_ok += 1
    _mark_ok(fs, interval)


def _mark_ok(fs: FeedState, interval: int) -> None:
    fs.failures, fs.health, fs.last_error = 0, "ok", ""
    # Jitter keeps polls of feeds added together from bunching up forever.
    fs.next_poll_at = time.time() + interval * random.uniform(0.9, 1.1)


def run_forever(
    feeds: list[Feed],
    settings: PollSettings,
    producer: KafkaProducer,
    store: FileStateStore,
    stop: Any,
    progress: Callable[[PollReport], None] | None = None,
) -> None:
    while not stop.is_set():
        poll_once(feeds, settings, producer, store, due_only=True, progress=progress)
        state = store.load()
        upcoming = [fs.next_poll_at for fs in state.feeds.values() if fs.health != "disabled"]
        wait = max(1.0, min(upcoming, default=time.time() + 60) - time.time())
        stop.wait(min(wait, 60.0))
