"""``diplowire poll``: fetch feeds, normalise entries, publish new or changed articles.

Fetching, parsing and full-text extraction run in worker threads (:func:`fetch_and_parse`), which
only read the poller state. The calling thread alone mutates the state: it dedupes, sends to
Kafka without waiting, and advances a feed's state only once every article of that feed was
acknowledged (:func:`_drain`). The state file is saved at most every ``save_every_s`` and at the
end of a pass; whatever it holds was acknowledged.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaProducer
from kafka.errors import (
    KafkaConfigurationError,
    KafkaError,
    MessageSizeTooLargeError,
    OutOfOrderSequenceNumberError,
    RetriableError,
)
from kafka.record.default_records import DefaultRecordBatchBuilder

from diplowire.ingest import schedule
from diplowire.ingest.address import policy_for
from diplowire.ingest.feeds import Feed
from diplowire.ingest.fetch import FetchError, Response, fetch
from diplowire.ingest.fulltext import ExtractionError, fetch_full_text
from diplowire.ingest.identity import Resolution, resolve, title_key
from diplowire.ingest.normalize import utc_now
from diplowire.ingest.outcomes import SkipReason
from diplowire.ingest.parse import Item, ParseNotes, parse_feed
from diplowire.ingest.politeness import HostBlocked, HostLimiter, host_of
from diplowire.ingest.state import FeedState, FileStateStore, PollerState, Seen
from diplowire.wire import topics as t
from diplowire.wire.admin import forget_topic_limits, record_limits
from diplowire.wire.article import Article, encode, replace
from diplowire.wire.loop import DeadLetters, Poison
from diplowire.wire.settings import KafkaSettings, PollSettings

log = logging.getLogger(__name__)

MAX_RETRY_AFTER_S = 7 * 86400
"""A longer Retry-After is cut to this: a typo must not stop a feed forever."""
DRAIN_EVERY_ARTICLES = 1000
DRAIN_EVERY_S = 1.0
ACK_TIMEOUT_S = 60.0
PRODUCER_RETRY_MAX_S = 60.0
"""Longest wait between passes while the Kafka producer keeps failing or cannot be made."""
POLLER_PRODUCER: dict[str, Any] = {"batch_size": 512 * 1024, "linger_ms": 50}
"""Producer overrides for the poller: it sends bursts of thousands of articles, and kafka-python
spends much of its CPU per batch (wakeups, locks), so fewer, larger batches cost less CPU."""


@dataclass
class PollReport:
    feeds_polled: int = 0
    feeds_ok: int = 0
    feeds_unchanged: int = 0
    feeds_failed: int = 0
    feeds_deferred: int = 0
    """Not polled because their host asked us to wait (Retry-After): not a failure."""
    entries: int = 0
    published: int = 0
    updated: int = 0
    duplicates: int = 0
    skipped_entries: int = 0
    """Entries not published, all reasons together (``skipped`` has them per reason)."""
    skipped: dict[str, int] = field(default_factory=dict)
    """Per :class:`~ingest.outcomes.SkipReason`: no_url, non_http_url, duplicate_item."""
    feeds_recoded: dict[str, int] = field(default_factory=dict)
    """Feeds whose bytes were not valid in the charset they declare, per
    :class:`~ingest.outcomes.Recode` (re-decoded as detected, or invalid bytes replaced)."""
    failures: dict[str, int] = field(default_factory=dict)
    bytes_received: int = 0
    fulltext_ok: int = 0
    fulltext_failed: int = 0
    """Articles that kept their feed summary because the page could not be extracted."""
    validators_distrusted: int = 0
    not_acknowledged: int = 0
    """Articles Kafka did not acknowledge: not published, sent again on the next poll."""
    feeds_delta: int = 0
    """Feeds answered ``226 IM Used`` (RFC 3229 delta: only new entries); each still ends as one
    of ``feeds_ok`` / ``feeds_failed``."""
    articles_oversized: int = 0
    """Articles over the raw topic's message limit, written to the dead-letter topic instead."""
    feeds_requeued: int = 0
    """Fetched, but not acknowledged only because the producer had failed (below): not a
    failure, the feed's state is unchanged and it is due again."""
    producer_failed: bool = False
    """The broker refused a record with a non-retriable error: kafka-python's idempotent producer
    is then unusable (every later send fails) and must be replaced. The pass stops handing out
    feeds; those not handed out stay due."""

    def count_failure(self, kind: str, n: int = 1) -> None:
        self.failures[kind] = self.failures.get(kind, 0) + n


@dataclass(frozen=True, slots=True)
class FeedResult:
    feed: Feed
    response: Response | None
    """Without its body: the body is parsed in the worker and dropped there."""
    items: tuple[Item, ...] = ()
    notes: ParseNotes = field(default_factory=ParseNotes)
    error: FetchError | None = None
    body_hash: str | None = None
    body_unchanged: bool = False
    hint_s: float = 0.0
    fulltext_ok: int = 0
    fulltext_failures: Mapping[str, int] = field(default_factory=dict)
    sent_validators: bool = False


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a worker needs to know of a feed's state, copied before the worker starts."""

    url: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    delta: bool = False
    """Ask for an RFC 3229 feed delta (``A-IM: feed``) along with the ETag."""


Known = Callable[[str], Seen | None]
"""article id -> what was last published for it, or None (read-only view of the state)."""


def fetch_and_parse(
    feed: Feed,
    snap: Snapshot,
    settings: PollSettings,
    limiter: HostLimiter,
    known: Known = lambda _id: None,
    guids: Callable[[str], str | None] = lambda _key: None,
    parse_pool: Executor | None = None,
) -> FeedResult:
    """Network, parsing and full text for one feed; never raises, never writes state."""
    try:
        return _fetch_and_parse(feed, snap, settings, limiter, known, guids, parse_pool)
    except FetchError as exc:
        return FeedResult(feed, None, error=exc)
    except Exception as exc:  # a bug on one feed's odd input must not stop the other feeds
        log.exception("feed %s: unexpected error", feed.url)
        return FeedResult(feed, None, error=FetchError("internal", f"{exc.__class__.__name__}"))


def _fetch_and_parse(
    feed: Feed,
    snap: Snapshot,
    settings: PollSettings,
    limiter: HostLimiter,
    known: Known,
    guids: Callable[[str], str | None],
    parse_pool: Executor | None,
) -> FeedResult:
    host = host_of(snap.url)
    try:
        with limiter.slot(snap.url):
            resp = fetch(
                snap.url,
                etag=snap.etag,
                last_modified=snap.last_modified,
                timeout_s=settings.fetch_timeout_s,
                max_bytes=settings.max_feed_bytes,
                user_agent=settings.user_agent,
                delta=snap.delta,
                policy=policy_for(settings.allow_addresses),
            )
    except HostBlocked as exc:
        err = FetchError("deferred", str(exc), retry_after_s=exc.until - time.time())
        return FeedResult(feed, None, error=err)
    except FetchError as exc:
        if exc.kind in ("rate_limited", "unavailable"):
            # The whole host is told to wait, not only this feed.
            limiter.block(host, min(exc.retry_after_s or 60.0, MAX_RETRY_AFTER_S))
        raise
    sent = bool(snap.etag or snap.last_modified)
    if resp.status == 304:
        return FeedResult(feed, resp, sent_validators=sent)
    try:
        return _parsed(feed, snap, settings, limiter, known, guids, parse_pool, resp, sent)
    except Exception as exc:
        if not resp.delta:
            raise
        # The server answered the delta request but its delta is unusable: the feed goes back to
        # plain conditional GETs, or every poll would ask for the same broken delta again.
        if not isinstance(exc, FetchError):
            log.exception("feed %s: unexpected error on a 226 delta", feed.url)
            exc = FetchError("internal", f"{exc.__class__.__name__}")
        exc.delta = True
        raise exc from None


def _parsed(
    feed: Feed,
    snap: Snapshot,
    settings: PollSettings,
    limiter: HostLimiter,
    known: Known,
    guids: Callable[[str], str | None],
    parse_pool: Executor | None,
    resp: Response,
    sent: bool,
) -> FeedResult:
    bare = replace_body(resp)
    # A delta is not the whole feed: its hash says nothing about the next full body.
    body_hash = None if resp.delta else hashlib.sha1(resp.body).hexdigest()[:20]
    if body_hash is not None and body_hash == snap.body_hash:
        return FeedResult(
            feed, bare, body_hash=body_hash, body_unchanged=True, sent_validators=sent
        )
    if parse_pool is not None:
        # Parsing is CPU: in other processes it runs beside this process's GIL-bound work.
        fut = parse_pool.submit(
            parse_feed, resp.body, feed, settings, content_type=resp.content_type
        )
        items, notes, hint = fut.result()
    else:
        items, notes, hint = parse_feed(resp.body, feed, settings, content_type=resp.content_type)
    ok, failures = 0, dict[str, int]()
    if feed.full_text:
        items, ok, failures = _with_full_text(items, settings, limiter, known, guids)
    return FeedResult(
        feed,
        bare,
        tuple(items),
        notes,
        body_hash=body_hash,
        hint_s=hint,
        fulltext_ok=ok,
        fulltext_failures=failures,
        sent_validators=sent,
    )


def replace_body(resp: Response) -> Response:
    return Response(
        resp.status,
        resp.url,
        b"",
        resp.etag,
        resp.last_modified,
        resp.permanent_redirect,
        resp.wire_bytes,
        resp.content_type,
        resp.max_age_s,
    )


def _with_full_text(
    items: list[Item],
    settings: PollSettings,
    limiter: HostLimiter,
    known: Known,
    guids: Callable[[str], str | None],
) -> tuple[list[Item], int, dict[str, int]]:
    out: list[Item] = []
    ok, failures = 0, defaultdict[str, int](int)
    # The ids _handle will give the items (it decides again, on the state as it is then).
    ids = {
        (p.article.canonical_url, p.digest): p.article.id
        for p in resolve(items, guids, known).items
    }
    for item in items:
        art = item.article
        seen = known(ids.get((art.canonical_url, item.digest), art.id))
        if seen is not None and seen.content_hash == item.digest:
            out.append(item)  # already published as is: no page fetch
            continue
        try:
            with limiter.slot(art.url):
                text = fetch_full_text(
                    art.url,
                    fetch,
                    timeout_s=settings.page_timeout_s,
                    max_bytes=settings.max_page_bytes,
                    user_agent=settings.user_agent,
                    policy=policy_for(settings.allow_addresses),
                )
        except (ExtractionError, HostBlocked) as exc:
            kind = exc.kind if isinstance(exc, ExtractionError) else "page_deferred"
            failures[kind] += 1
            log.info("full text of %s not extracted, keeping the summary: %s", art.url, exc)
            out.append(item)
            continue
        if len(text) > len(art.text):
            art = replace(art, text=text[: settings.max_article_chars])
        ok += 1
        out.append(Item(art, item.digest, item.guid_key))
    return out, ok, dict(failures)


@dataclass
class _Pending:
    """A feed whose articles were sent and await Kafka's acknowledgement."""

    result: FeedResult
    sends: list[tuple[Item, Article, Any, bool]]
    """(item, article as sent, future or the exception send() raised, dead-lettered as too
    large for the raw topic)."""


@dataclass
class _Pass:
    state: PollerState
    settings: PollSettings
    producer: KafkaProducer
    report: PollReport
    pending: list[_Pending] = field(default_factory=list)
    pending_articles: int = 0
    last_drain: float = field(default_factory=time.monotonic)
    inflight: dict[str, tuple[str, int]] = field(default_factory=dict)
    """article id -> (digest, version) sent in this pass and not yet acknowledged."""
    ack_deadline: float = 0.0
    record_limit: int = 1_000_000
    """Largest record (kafka-python's size estimate) the raw topic and the producer accept."""
    dead_letters: DeadLetters | None = None


def _interleave_hosts(todo: list[tuple[Feed, FeedState]]) -> list[tuple[Feed, FeedState]]:
    """Round-robin over hosts, so the workers are not all queued behind one host's limit."""
    by_host: dict[str, list[tuple[Feed, FeedState]]] = defaultdict(list)
    for pair in todo:
        by_host[host_of(pair[1].moved_to or pair[0].url)].append(pair)
    queues = list(by_host.values())
    out: list[tuple[Feed, FeedState]] = []
    for i in range(max((len(q) for q in queues), default=0)):
        out.extend(q[i] for q in queues if i < len(q))
    return out


def _snapshot(feed: Feed, fs: FeedState, settings: PollSettings) -> Snapshot:
    conditional = fs.validators_trusted and fs.polls_since_verify < settings.verify_validators_every
    return Snapshot(
        url=fs.moved_to or feed.url,
        etag=fs.etag if conditional else None,
        last_modified=fs.last_modified if conditional else None,
        body_hash=fs.body_hash,
        delta=conditional and fs.delta_ok and settings.delta_feeds,
    )


def _record_limits(producer: KafkaProducer, kafka: KafkaSettings) -> tuple[int, int]:
    """(largest raw record, largest dead-letter record) that both producer and topic accept."""
    topics = kafka.topics
    limits = record_limits(producer, kafka, (topics.raw, topics.deadletter))
    return limits[topics.raw], limits[topics.deadletter]


def poll_once(
    feeds: Iterable[Feed],
    settings: PollSettings,
    producer: KafkaProducer,
    store: FileStateStore,
    *,
    due_only: bool = False,
    progress: Callable[[PollReport], None] | None = None,
    workers: int | None = None,
    limiter: HostLimiter | None = None,
    parse_pool: Executor | None = None,
    stop: threading.Event | None = None,
) -> PollReport:
    """Poll every (due) feed once; returns what happened, counted by outcome.

    ``stop`` (SIGTERM) ends the pass early: feeds not yet fetched stay due, what was fetched is
    published and acknowledged, and the state is saved.
    """
    state = store.load()
    if not store.save_every_s:
        store.save_every_s = settings.save_every_s
    store.max_seen = settings.max_seen
    report = PollReport()
    now = time.time()
    todo = []
    for feed in feeds:
        fs = state.feeds.setdefault(feed.url, FeedState(url=feed.url))
        if fs.health == "disabled" or (due_only and fs.next_poll_at > now):
            continue
        todo.append((feed, fs))
    limiter = limiter or HostLimiter(settings.per_host_concurrency, settings.per_host_min_spacing_s)
    ctx = _Pass(state, settings, producer, report)
    if todo and _producer_broken(ctx):
        # Everything it sent would fail: no feed is polled, all stay due for a new producer.
        todo = []
    if todo:
        raw_limit, dead_limit = _record_limits(producer, settings.kafka)
        ctx.record_limit = raw_limit
        # Headroom below the dead-letter topic's limit for the headers saying why.
        ctx.dead_letters = DeadLetters(
            producer,
            settings.kafka.topics.deadletter,
            "poll",
            max_value_bytes=max(0, dead_limit - 16_384),
        )

    n_workers = max(1, workers or settings.workers)
    try:
        with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="poll") as pool:
            # No list of the futures is kept: as_completed drops each one once yielded, so a
            # handled feed's articles are freed instead of living until the pass ends.
            submitted = (
                pool.submit(
                    fetch_and_parse,
                    feed,
                    _snapshot(feed, fs, settings),
                    settings,
                    limiter,
                    state.seen.get,
                    state.guids.get,
                    parse_pool,
                )
                for feed, fs in _interleave_hosts(todo)
            )
            for fut in as_completed(submitted):
                if (stop is not None and stop.is_set()) or _producer_broken(ctx):
                    # Fetches in progress finish within their timeout; their feeds stay due.
                    # After a producer failure every send would fail too: the feeds are left
                    # for the next pass (and its new producer) rather than counted as failed.
                    pool.shutdown(wait=False, cancel_futures=True)
                    break
                _handle(ctx, fut.result())
                if (
                    ctx.pending_articles >= DRAIN_EVERY_ARTICLES
                    or time.monotonic() - ctx.last_drain > DRAIN_EVERY_S
                ):
                    _drain(ctx)
                    store.maybe_save(state)
                if progress is not None:
                    progress(report)
    finally:
        # Also on an interrupt: what was acknowledged is kept, the rest is polled again.
        _drain(ctx)
        store.save(state)
    return report


def _handle(ctx: _Pass, result: FeedResult) -> None:
    fs = ctx.state.feeds[result.feed.url]
    report = ctx.report
    if result.error is not None and result.error.kind == "deferred":
        report.feeds_deferred += 1
        fs.next_poll_at = time.time() + max(1.0, result.error.retry_after_s or 0.0)
        return
    report.feeds_polled += 1
    fs.last_polled = utc_now()
    if result.error is not None:
        if result.error.kind == "bad_delta" or result.error.delta:
            # The server mishandles A-IM: later polls of this feed are plain conditional GETs.
            fs.delta_ok = False
        _mark_failed(fs, result.feed, ctx.settings, report, result.error)
        return
    resp = result.response
    assert resp is not None
    report.bytes_received += resp.wire_bytes
    fs.last_status = resp.status
    if resp.delta:
        report.feeds_delta += 1
        fs.deltas += 1
    if resp.permanent_redirect:
        fs.moved_to = resp.permanent_redirect
    if not result.sent_validators:
        fs.polls_since_verify = 0
    if resp.status == 304 or result.body_unchanged:
        report.feeds_unchanged += 1
        fs.etag, fs.last_modified = resp.etag, resp.last_modified
        if result.sent_validators:
            fs.polls_since_verify += 1
        _mark_ok(fs, result.feed, ctx.settings, changed=False, max_age_s=resp.max_age_s)
        return
    if (
        not resp.delta  # a delta is meant to differ from the body its ETag was stored with
        and fs.body_hash is not None
        and fs.validators_trusted
        and (
            (fs.etag and resp.etag == fs.etag)
            or (fs.last_modified and not resp.etag and resp.last_modified == fs.last_modified)
        )
    ):
        # Same validators, different body: a 304 from this server cannot be believed.
        fs.validators_trusted = False
        report.validators_distrusted += 1
        log.warning("feed %s: validators unchanged for a changed body; not trusted", fs.url)
    res = resolve(result.items, ctx.state.guids.get, ctx.state.seen.get)
    _count_document(ctx, fs, result, res)
    report.fulltext_ok += result.fulltext_ok
    for kind, n in result.fulltext_failures.items():
        report.fulltext_failed += n
        report.count_failure(f"fulltext_{kind}", n)

    sends: list[tuple[Item, Article, Any, bool]] = []
    refused: KafkaError | None = None
    for item in res.items:
        art = item.article
        seen = ctx.state.seen.get(art.id)
        flying = ctx.inflight.get(art.id)
        if (seen is not None and seen.content_hash == item.digest) or (
            flying is not None and flying[0] == item.digest
        ):
            if seen is not None:
                seen.last_seen = time.time()
            report.duplicates += 1
            continue
        last_version = max(seen.version if seen else 0, flying[1] if flying else 0)
        if last_version:
            art = replace(art, version=last_version + 1)
            report.updated += 1
        art = replace(art, timestamps=replace(art.timestamps, produced=utc_now()))
        fut: Any = refused
        dead = False
        if refused is None:
            key, value = art.id.encode(), encode(art)
            headers = [(t.H_SCHEMA_VERSION, str(art.schema_version).encode())]
            size = DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, headers)
            try:
                if size > ctx.record_limit:
                    raise MessageSizeTooLargeError(f"{size} bytes")
                fut = ctx.producer.send(
                    ctx.settings.kafka.topics.raw, key=key, value=value, headers=headers
                )
            except MessageSizeTooLargeError:
                fut, dead = _dead_letter(ctx, result.feed, key, value, size), True
            except KafkaError as exc:  # e.g. no broker reachable within max_block_ms
                # The rest of this feed is not sent: each send would block as long again.
                fut = refused = exc
            if isinstance(fut, KafkaError):
                refused = fut
        ctx.inflight[art.id] = (item.digest, art.version)
        sends.append((item, art, fut, dead))
    pending = _Pending(result, sends)
    if not sends:
        _finish(ctx, pending)
        return
    ctx.pending.append(pending)
    ctx.pending_articles += len(sends)


def _count_document(ctx: _Pass, fs: FeedState, result: FeedResult, res: Resolution) -> None:
    """Count (and log) what a parsed document holds besides articles to publish."""
    report, url = ctx.report, result.feed.url
    skipped = dict(result.notes.skipped)
    if res.collisions:
        skipped[SkipReason.DUPLICATE_ITEM] = len(res.collisions)
    for item, kept in res.collisions:
        log.warning(
            "feed %s: entry %r <%s> skipped (duplicate_item): article %s again, other content "
            "than the earlier entry %r",
            url,
            item.article.title[:120],
            item.article.url,
            item.article.id,
            kept.article.title[:120],
        )
    for key in res.shared_guids:
        log.info("feed %s: GUID %r is on entries with different links: not used", url, key)
    report.entries += len(result.items) + result.notes.total
    report.duplicates += res.repeats
    for reason, n in skipped.items():
        report.skipped_entries += n
        report.skipped[reason.value] = report.skipped.get(reason.value, 0) + n
    fs.skipped = {reason.value: n for reason, n in skipped.items()}
    fs.charset_note = result.notes.charset_note
    if result.notes.recode is not None:
        kind = result.notes.recode.value
        report.feeds_recoded[kind] = report.feeds_recoded.get(kind, 0) + 1


def _dead_letter(ctx: _Pass, feed: Feed, key: bytes, value: bytes, size: int) -> Any:
    """Send an article too large for the raw topic to the dead-letter topic (only its head when
    even that topic cannot take it whole)."""
    cause = (
        f"article {key.decode()} of feed {feed.url} is {size} bytes, over the "
        f"{ctx.record_limit}-byte limit of {ctx.settings.kafka.topics.raw}"
    )
    log.warning("%s: dead-lettered", cause)
    assert ctx.dead_letters is not None
    try:
        return ctx.dead_letters.send(key, value, Poison("oversized", cause))
    except KafkaError as exc:
        return exc


def _drain(ctx: _Pass) -> None:
    """Wait for Kafka's acknowledgements, then advance the state of every pending feed."""
    ctx.last_drain = time.monotonic()
    if not ctx.pending:
        return
    ctx.ack_deadline = time.monotonic() + ACK_TIMEOUT_S
    try:
        ctx.producer.flush(timeout=ACK_TIMEOUT_S)
    except KafkaError as exc:
        # Unacknowledged sends are counted as failed below; the next poll sends them again.
        log.error("Kafka flush did not complete: %s", exc)
    pending, ctx.pending, ctx.pending_articles = ctx.pending, [], 0
    for p in pending:
        _finish(ctx, p)


def producer_fatal(producer: KafkaProducer) -> bool:
    """True when kafka-python's idempotent producer is in its fatal state: it then fails every
    batch, present and future, with the error that made it fatal."""
    manager = getattr(producer, "_transaction_manager", None)
    return bool(manager is not None and manager.has_fatal_error())


def producer_killing(exc: BaseException) -> bool:
    """Whether an error a send's future failed with leaves the producer unusable.

    kafka-python (3.0.12, ``TransactionManager.classify_batch_error``) makes every non-retriable
    batch error fatal for an idempotent, non-transactional producer: too large, invalid
    timestamp, policy violation, topic authorisation, corrupt record...
    """
    return isinstance(exc, KafkaError) and not isinstance(exc, RetriableError)


def _producer_broken(ctx: _Pass) -> bool:
    if not ctx.report.producer_failed and producer_fatal(ctx.producer):
        _producer_failed(ctx, getattr(ctx.producer._transaction_manager, "last_error", None))
    return ctx.report.producer_failed


def _producer_failed(ctx: _Pass, exc: BaseException | None) -> None:
    if ctx.report.producer_failed:
        return
    ctx.report.producer_failed = True
    # The refusal may come from a limit the poller did not know (too large): the next pass
    # reads the limits again, with a producer that works.
    forget_topic_limits()
    log.error(
        "Kafka refused a record (%s): the producer is unusable and must be replaced; "
        "no more feeds are polled in this pass",
        exc,
    )


def _aborted_by_producer(fut: Any, exc: BaseException) -> bool:
    """True when the record was failed by the producer itself, because an *earlier* batch put it
    in its fatal state, not by the broker refusing this record.

    kafka-python completes a batch it aborts with base offset -1 and one the broker answered
    with an error with ``None``; the error object is the same in both cases, so the offset is
    what tells the record that was refused from those failed along with it. A sequence error
    only says an earlier batch is missing.
    """
    if isinstance(exc, OutOfOrderSequenceNumberError):
        return True
    produced = getattr(getattr(fut, "_produce_future", None), "value", None)
    return isinstance(produced, tuple) and bool(produced) and produced[0] == -1


def _finish(ctx: _Pass, p: _Pending) -> None:
    fs = ctx.state.feeds[p.result.feed.url]
    report = ctx.report
    delivered = oversized = own_failures = 0
    for item, art, fut, dead in p.sends:
        ctx.inflight.pop(art.id, None)
        try:
            if isinstance(fut, BaseException):
                raise fut
            # flush() can return early (a split batch is still being retried): wait for each
            # acknowledgement itself, within the drain's deadline.
            fut.get(timeout=max(0.0, ctx.ack_deadline - time.monotonic()))
        except KafkaError as exc:
            # Not acknowledged: the seen-set is not advanced, so the next poll sends it again.
            report.not_acknowledged += 1
            from_future = not isinstance(fut, BaseException)
            if from_future and (producer_killing(exc) or producer_fatal(ctx.producer)):
                _producer_failed(ctx, exc)
            if not (
                from_future and producer_fatal(ctx.producer) and _aborted_by_producer(fut, exc)
            ):
                own_failures += 1
            log.error("article %s not acknowledged by Kafka: %s", art.id, exc)
            continue
        # A dead-lettered article is done with too: it is not retried until it is edited.
        if dead:
            oversized += 1
        else:
            delivered += 1
        ctx.state.seen[art.id] = Seen(item.digest, art.version, time.time(), title_key(art.title))
        if item.guid_key:
            ctx.state.guids[item.guid_key] = art.id
    report.published += delivered
    fs.articles_published += delivered
    report.articles_oversized += oversized
    fs.articles_oversized += oversized
    if own_failures:
        # Validators and body hash stay as they were, so the next poll refetches the feed.
        err = FetchError("publish_failed", "Kafka did not acknowledge every article")
        _mark_failed(fs, p.result.feed, ctx.settings, report, err)
        return
    if delivered + oversized < len(p.sends):
        # Only failed because another record broke the producer: not this feed's failure (no
        # backoff), and its state stays as it was, so it is due again and refetched in full.
        report.feeds_requeued += 1
        log.warning("feed %s: not published (Kafka producer failed); polled again", fs.url)
        return
    resp = p.result.response
    assert resp is not None
    # After a delta body_hash is None: the full body of the new ETag was never seen, so a later
    # 200 with that ETag must neither be skipped as unchanged nor taken for a lying server.
    fs.etag, fs.last_modified, fs.body_hash = resp.etag, resp.last_modified, p.result.body_hash
    fs.hint_s = p.result.hint_s
    report.feeds_ok += 1
    _mark_ok(fs, p.result.feed, ctx.settings, changed=bool(p.sends), max_age_s=resp.max_age_s)


def _base_interval(feed: Feed, settings: PollSettings) -> float:
    return float(feed.interval_s or settings.default_interval_s)


def _mark_ok(
    fs: FeedState, feed: Feed, settings: PollSettings, *, changed: bool, max_age_s: float | None
) -> None:
    now = time.time()
    fs.failures, fs.health, fs.last_error = 0, "ok", ""
    if changed:
        if fs.last_changed:
            fs.change_period_s = schedule.smooth_period(fs.change_period_s, now - fs.last_changed)
        fs.last_changed = now
    fs.interval_s = schedule.next_interval(
        current_s=fs.interval_s,
        base_s=_base_interval(feed, settings),
        changed=changed,
        change_period_s=fs.change_period_s,
        min_s=settings.min_interval_s,
        max_s=settings.max_interval_s,
        hint_s=max(fs.hint_s, max_age_s or 0.0),
    )
    fs.next_poll_at = now + schedule.jittered(fs.interval_s)


def _mark_failed(
    fs: FeedState, feed: Feed, settings: PollSettings, report: PollReport, err: FetchError
) -> None:
    report.feeds_failed += 1
    report.count_failure(err.kind)
    fs.failures += 1
    fs.last_error = f"{err.kind}: {err}"
    if err.kind == "gone" or fs.failures >= settings.disable_after_failures:
        fs.health = "disabled"
    else:
        fs.health = "failing"
    retry_after = min(err.retry_after_s, MAX_RETRY_AFTER_S) if err.retry_after_s else None
    delay = schedule.backoff_s(
        _base_interval(feed, settings), fs.failures, settings.max_backoff_s, retry_after
    )
    fs.next_poll_at = time.time() + schedule.jittered(delay)
    log.warning("feed %s %s (%d): %s", feed.url, fs.health, fs.failures, fs.last_error)


def make_parse_pool(settings: PollSettings) -> Executor | None:
    """A process pool for parsing when ``parse_processes`` > 0 (spawned: the producer's threads
    must not be forked)."""
    if settings.parse_processes <= 0:
        return None
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(
        settings.parse_processes, mp_context=multiprocessing.get_context("spawn")
    )


def run_forever(
    feeds: list[Feed],
    settings: PollSettings,
    producer: KafkaProducer,
    store: FileStateStore,
    stop: Any,
    progress: Callable[[PollReport], None] | None = None,
    parse_pool: Executor | None = None,
    new_producer: Callable[[], KafkaProducer] | None = None,
) -> None:
    """Poll what is due until ``stop`` is set.

    ``new_producer`` replaces a producer the broker made unusable (see
    :attr:`PollReport.producer_failed`); the caller still closes the one it passed in. While no
    new producer can be made (no broker reachable), no pass runs: the attempt is repeated with a
    growing wait, up to ``PRODUCER_RETRY_MAX_S``.
    """
    # One limiter for the process: spacing and Retry-After blocks carry over between passes.
    limiter = HostLimiter(settings.per_host_concurrency, settings.per_host_min_spacing_s)
    current: KafkaProducer | None = producer
    failures = 0  # consecutive passes or attempts that ended without a working producer
    try:
        while not stop.is_set():
            if current is None:
                assert new_producer is not None
                try:
                    current = new_producer()
                except KafkaConfigurationError:
                    raise  # a wrong setting does not heal by waiting
                except KafkaError as exc:
                    # A pass without a producer would fetch every due feed for nothing (and
                    # count them as failed): wait for a broker instead.
                    failures += 1
                    delay = min(PRODUCER_RETRY_MAX_S, 2.0 ** (failures - 1))
                    log.error(
                        "cannot make a new Kafka producer (%s); no feed is polled, "
                        "trying again in %.0f s",
                        exc,
                        delay,
                    )
                    stop.wait(delay)
                    continue
                log.info("new Kafka producer made; polling resumes")
            report = poll_once(
                feeds,
                settings,
                current,
                store,
                due_only=True,
                progress=progress,
                limiter=limiter,
                parse_pool=parse_pool,
                stop=stop,
            )
            pause = 0.0
            if report.producer_failed:
                failures += 1
                # A broker that refuses everything must not make the poller refetch feeds
                # every second.
                pause = min(PRODUCER_RETRY_MAX_S, 2.0 ** (failures - 1))
                if new_producer is not None:
                    log.warning("replacing the Kafka producer after a fatal error")
                    if current is not producer:
                        current.close(timeout=5)
                    current = None
            else:
                failures = 0
            state = store.load()
            upcoming = [fs.next_poll_at for fs in state.feeds.values() if fs.health != "disabled"]
            wait = max(1.0, pause, min(upcoming, default=time.time() + 60) - time.time())
            stop.wait(min(wait, 60.0))
    finally:
        if current is not None and current is not producer:
            current.close(timeout=30)
