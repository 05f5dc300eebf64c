"""The calling-thread half of a poll: dedupe, send to Kafka, wait for acknowledgements, and
advance a feed's state only once every article of that feed was acknowledged (:func:`drain`).

Also the producer-fatal logic: kafka-python's idempotent producer becomes unusable after a
non-retriable refusal, and the pass must stop handing out feeds rather than fail them all.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from kafka import KafkaProducer
from kafka.errors import KafkaError

from diplowire.ingest.errors import FetchError, FetchKind
from diplowire.ingest.feeds import Feed
from diplowire.ingest.identity import Resolution, resolve, title_key
from diplowire.ingest.outcomes import SkipReason
from diplowire.ingest.parse import Item
from diplowire.ingest.report import PollReport
from diplowire.ingest.state import FeedState, PollerState, Seen
from diplowire.ingest.transitions import (
    Answered,
    Deferred,
    Failed,
    Outcome,
    Published,
    Requeued,
    next_state,
    rules_for,
)
from diplowire.ingest.worker_fetch import FeedResult
from diplowire.wire import kafka_compat
from diplowire.wire.article import Article, encode, replace
from diplowire.wire.clock import utc_now
from diplowire.wire.loop import DeadLetters, Poison
from diplowire.wire.publisher import Oversized, Publisher, Refused, Sent, classify
from diplowire.wire.settings import PollSettings

log = logging.getLogger(__name__)

ACK_TIMEOUT_S = 60.0


@dataclass
class _Pending:
    """A feed whose articles were sent and await Kafka's acknowledgement."""

    result: FeedResult
    sends: list[tuple[Item, Article, Sent | Refused, bool]]
    """(item, article as sent, what its send gave, dead-lettered as too large for the raw
    topic). A :class:`Refused` here was refused at send, before any batch was made."""
    carried: list[str] = field(default_factory=list)
    """Every article id of the parsed document: what the feed carries once all is acknowledged."""


@dataclass
class Pass:
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
    publisher: Publisher = field(init=False)

    def __post_init__(self) -> None:
        self.publisher = Publisher(self.producer, self.settings.kafka)


def _apply(ctx: Pass, feed: Feed, outcome: Outcome) -> tuple[FeedState, FeedState]:
    """Replace the feed's state by its next state; returns (before, after)."""
    before = ctx.state.feeds[feed.url]
    after = next_state(before, outcome, rules_for(feed, ctx.settings))
    ctx.state.set_feed(feed.url, after)
    return before, after


def _failed(ctx: Pass, feed: Feed, failed: Failed) -> None:
    ctx.report.feeds_failed += 1
    ctx.report.count_failure(failed.error.kind)
    _, fs = _apply(ctx, feed, failed)
    log.warning("feed %s %s (%d): %s", feed.url, fs.health, fs.failures, fs.last_error)


def handle(ctx: Pass, result: FeedResult) -> None:
    try:
        _handle(ctx, result)
    finally:
        # The feed's rows read by the prefetch below: memory holds one feed's rows at a time.
        ctx.state.release()


def _handle(ctx: Pass, result: FeedResult) -> None:
    report, feed = ctx.report, result.feed
    if result.error is not None and result.error.kind == FetchKind.DEFERRED:
        report.feeds_deferred += 1
        _apply(ctx, feed, Deferred(time.time(), result.error.retry_after_s))
        return
    report.feeds_polled += 1
    polled_at = utc_now()
    if result.error is not None:
        _failed(ctx, feed, Failed(time.time(), result.error, polled_at=polled_at))
        return
    resp = result.response
    assert resp is not None
    report.bytes_received += resp.wire_bytes
    if resp.delta:
        report.feeds_delta += 1
    unchanged = resp.status == 304 or result.body_unchanged
    skipped: dict[str, int] = {}
    res = None
    if unchanged:
        report.feeds_unchanged += 1
    else:
        # One query for what the state knows of this document's articles (ingest.statetable).
        ctx.state.prefetch(
            (it.article.id for it in result.items),
            (it.guid_key for it in result.items if it.guid_key),
        )
        res = resolve(result.items, ctx.state.guids.get, ctx.state.seen.get)
        skipped = _count_document(ctx, result, res)
    answered = Answered(
        now=time.time(),
        polled_at=polled_at,
        status=resp.status,
        delta=resp.delta,
        moved_to=resp.permanent_redirect,
        sent_validators=result.sent_validators,
        etag=resp.etag,
        last_modified=resp.last_modified,
        unchanged=unchanged,
        max_age_s=resp.max_age_s,
        skipped=skipped,
        charset_note="" if unchanged else result.notes.charset_note,
    )
    before, fs = _apply(ctx, feed, answered)
    if res is None:
        return
    if before.validators_trusted and not fs.validators_trusted:
        report.validators_distrusted += 1
        log.warning("feed %s: validators unchanged for a changed body; not trusted", fs.url)
    report.fulltext_ok += result.fulltext_ok
    for kind, n in result.fulltext_failures.items():
        report.fulltext_failed += n
        report.count_failure(f"fulltext_{kind}", n)

    sends: list[tuple[Item, Article, Sent | Refused, bool]] = []
    refused: Refused | None = None
    produced = utc_now()  # one instant per document: formatting it per article cost 1 % of pass 1
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
        art = replace(art, timestamps=replace(art.timestamps, produced=produced))
        out: Sent | Oversized | Refused = refused or ctx.publisher.send(
            ctx.settings.kafka.topics.raw, art, ctx.record_limit
        )
        dead = isinstance(out, Oversized)
        if isinstance(out, Oversized):
            out = _dead_letter(ctx, result.feed, out, encode(art))
        elif isinstance(out, Refused):
            # Refused at send (e.g. no broker reachable within max_block_ms): the rest of this
            # feed is not sent, each send would block as long again.
            refused = out
        ctx.inflight[art.id] = (item.digest, art.version)
        sends.append((item, art, out, dead))
    carried = [it.article.id for it in res.items]
    if resp.delta:
        # A delta holds only the new entries: the feed still carries what it carried before.
        carried = list(dict.fromkeys([*(ctx.state.items.get(feed.url) or []), *carried]))
    pending = _Pending(result, sends, carried)
    if not sends:
        _finish(ctx, pending)
        return
    ctx.pending.append(pending)
    ctx.pending_articles += len(sends)


def _count_document(ctx: Pass, result: FeedResult, res: Resolution) -> dict[str, int]:
    """Count (and log) what a parsed document holds besides articles to publish; returns the
    entries skipped, per reason."""
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
    if result.notes.recode is not None:
        kind = result.notes.recode.value
        report.feeds_recoded[kind] = report.feeds_recoded.get(kind, 0) + 1
    return {reason.value: n for reason, n in skipped.items()}


def _dead_letter(ctx: Pass, feed: Feed, big: Oversized, value: bytes) -> Sent | Refused:
    """Send an article too large for the raw topic to the dead-letter topic (only its head when
    even that topic cannot take it whole)."""
    cause = (
        f"article {big.key.decode()} of feed {feed.url} is {big.size} bytes, over the "
        f"{big.limit}-byte limit of {big.topic}"
    )
    log.warning("%s: dead-lettered", cause)
    assert ctx.dead_letters is not None
    try:
        fut = ctx.dead_letters.send(big.key, value, Poison("oversized", cause))
    except KafkaError as exc:
        return classify(exc, ctx.producer)
    return Sent(ctx.dead_letters.topic, big.key, big.size, big.limit, fut)


def drain(ctx: Pass) -> None:
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


def producer_broken(ctx: Pass) -> bool:
    if not ctx.report.producer_failed and kafka_compat.producer_fatal(ctx.producer):
        _producer_failed(ctx, kafka_compat.producer_fatal_error(ctx.producer))
    return ctx.report.producer_failed


def _producer_failed(ctx: Pass, exc: BaseException | None) -> None:
    if ctx.report.producer_failed:
        return
    ctx.report.producer_failed = True
    # The refusal may come from a limit the poller did not know (too large): the next pass
    # reads the limits again, with a producer that works.
    ctx.publisher.forget_limits()
    log.error(
        "Kafka refused a record (%s): the producer is unusable and must be replaced; "
        "no more feeds are polled in this pass",
        exc,
    )


def _finish(ctx: Pass, p: _Pending) -> None:
    report, feed = ctx.report, p.result.feed
    delivered = oversized = own_failures = 0
    for item, art, out, dead in p.sends:
        ctx.inflight.pop(art.id, None)
        # flush() can return early (a split batch is still being retried): wait for each
        # acknowledgement itself, within the drain's deadline.
        wait_s = max(0.0, ctx.ack_deadline - time.monotonic())
        refusal = out if isinstance(out, Refused) else ctx.publisher.acknowledged(out, wait_s)
        if refusal is not None:
            # Not acknowledged: the seen-set is not advanced, so the next poll sends it again.
            report.not_acknowledged += 1
            from_future = refusal is not out
            if from_future and refusal.producer_unusable:
                _producer_failed(ctx, refusal.error)
            # A record the producer failed only because an earlier batch broke it is not this
            # feed's failure (the feed is requeued below).
            if not (from_future and refusal.aborted):
                own_failures += 1
            log.error("article %s not acknowledged by Kafka: %s", art.id, refusal.error)
            continue
        # A dead-lettered article is done with too: it is not retried until it is edited.
        if dead:
            oversized += 1
        else:
            delivered += 1
        seen = Seen(item.digest, art.version, time.time(), title_key(art.title), feed.url)
        ctx.state.set_seen(art.id, seen, item.guid_key)
    report.published += delivered
    report.articles_oversized += oversized
    if own_failures:
        # Validators and body hash stay as they were, so the next poll refetches the feed.
        err = FetchError(FetchKind.PUBLISH_FAILED, "Kafka did not acknowledge every article")
        _failed(ctx, feed, Failed(time.time(), err, published=delivered, oversized=oversized))
        return
    if delivered + oversized < len(p.sends):
        # Only failed because another record broke the producer: not this feed's failure (no
        # backoff), and its state stays as it was, so it is due again and refetched in full.
        report.feeds_requeued += 1
        _apply(ctx, feed, Requeued(delivered, oversized))
        log.warning("feed %s: not published (Kafka producer failed); polled again", feed.url)
        return
    resp = p.result.response
    assert resp is not None
    report.feeds_ok += 1
    published = Published(
        now=time.time(),
        published=delivered,
        oversized=oversized,
        etag=resp.etag,
        last_modified=resp.last_modified,
        body_hash=p.result.body_hash,
        hint_s=p.result.hint_s,
        max_age_s=resp.max_age_s,
        changed=bool(p.sends),
    )
    _apply(ctx, feed, published)
    # What the feed carries now bounds the seen set (StateStore.prune).
    ctx.state.set_items(feed.url, p.carried)
