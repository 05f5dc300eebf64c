"""``diplowire poll``: fetch feeds, normalise entries, publish new or changed articles.

This module schedules a pass and runs the loop. Fetching, parsing and full-text extraction run in
worker threads (ingest.worker_fetch), which only read the poller state. The calling thread alone
changes the state (ingest.publish): it dedupes, sends to Kafka without waiting, and advances a
feed's state only once every article of that feed was acknowledged. The state store
(ingest.state, SQLite) is written after every drain of acknowledgements, only what changed;
whatever it holds was acknowledged.

With an :class:`~ingest.ownership.Ownership`, only the feeds this poller owns are polled, and the
pass stops at safe points (between feeds) to hand feeds over or take them.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from kafka import KafkaProducer
from kafka.errors import KafkaConfigurationError, KafkaError

from diplowire.ingest.feeds import Feed
from diplowire.ingest.politeness import HostLimiter, host_of
from diplowire.ingest.publish import Pass, drain, handle, producer_broken
from diplowire.ingest.report import PollReport
from diplowire.ingest.state import FeedState, StateStore
from diplowire.ingest.worker_fetch import FeedResult, Snapshot, Workers, fetch_and_parse
from diplowire.wire.backoff import Backoff
from diplowire.wire.loop import DeadLetters
from diplowire.wire.publisher import Publisher
from diplowire.wire.settings import PollSettings

if TYPE_CHECKING:
    from diplowire.ingest.ownership import Ownership

log = logging.getLogger(__name__)

DRAIN_EVERY_ARTICLES = 1000
DRAIN_EVERY_S = 1.0
PRODUCER_RETRY_MAX_S = 60.0
"""Longest wait between passes while the Kafka producer keeps failing or cannot be made."""
PRODUCER_RETRY = Backoff(initial_s=1.0, max_s=PRODUCER_RETRY_MAX_S)
"""1 s, 2 s, 4 s... between attempts while no working producer can be had."""
RESULTS_PER_WORKER = 2
"""Feeds submitted to the fetch threads and not yet handled, per thread (see poll_once)."""
POLLER_PRODUCER: dict[str, Any] = {"batch_size": 512 * 1024, "linger_ms": 50}
"""Producer overrides for the poller: it sends bursts of thousands of articles, and kafka-python
spends much of its CPU per batch (wakeups, locks), so fewer, larger batches cost less CPU."""


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


def _fetch_if_owned(
    owner: Ownership | None, feed: Feed, snap: Snapshot, env: Workers
) -> FeedResult | None:
    """None, without a request, for a feed handed over since the pass began."""
    if owner is not None and not owner.owns(feed.url):
        return None
    return fetch_and_parse(feed, snap, env)


def _commit(ctx: Pass, store: StateStore, owner: Ownership | None) -> None:
    """Wait for the acknowledgements, save what changed, and (with an owner) write the saved
    feeds' records to the state topic."""
    started = time.time()
    drain(ctx)
    changed = set(ctx.state.dirty_feeds)
    store.save(ctx.state)
    if owner is not None:
        owner.after_save(ctx.state, changed, started)


def _record_limits(publisher: Publisher) -> tuple[int, int]:
    """(largest raw record, largest dead-letter record) that both producer and topic accept."""
    topics = publisher.kafka.topics
    limits = publisher.limits.record_limits(
        publisher.producer, publisher.kafka, (topics.raw, topics.deadletter)
    )
    return limits[topics.raw], limits[topics.deadletter]


def poll_once(
    feeds: Iterable[Feed],
    settings: PollSettings,
    producer: KafkaProducer,
    store: StateStore,
    *,
    due_only: bool = False,
    progress: Callable[[PollReport], None] | None = None,
    workers: int | None = None,
    limiter: HostLimiter | None = None,
    parse_pool: Executor | None = None,
    stop: threading.Event | None = None,
    owner: Ownership | None = None,
) -> PollReport:
    """Poll every (due) feed once (only those ``owner`` gives this poller); returns what
    happened, counted by outcome.

    ``stop`` (SIGTERM) ends the pass early: feeds not yet fetched stay due, what was fetched is
    published and acknowledged, and the state is saved.
    """
    state = store.load()
    store.seen_grace_s = settings.seen_grace_s
    if owner is not None:
        owner.service(state)
    feeds = list(feeds)
    report = PollReport()
    now = time.time()
    todo = []
    for feed in feeds:
        if owner is not None and not owner.owns(feed.url):
            continue
        fs = state.feeds.setdefault(feed.url, FeedState(url=feed.url))
        if fs.health == "disabled" or (due_only and fs.next_poll_at > now):
            continue
        todo.append((feed, fs))
    limiter = limiter or HostLimiter(settings.per_host_concurrency, settings.per_host_min_spacing_s)
    ctx = Pass(state, settings, producer, report)
    if todo and producer_broken(ctx):
        # Everything it sent would fail: no feed is polled, all stay due for a new producer.
        todo = []
    if todo:
        raw_limit, dead_limit = _record_limits(ctx.publisher)
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
            env = Workers(settings, limiter, state.seen.get, state.guids.get, parse_pool)
            queue = iter(_interleave_hosts(todo))
            del todo
            pending: set[Future[FeedResult | None]] = set()

            def refill() -> None:
                # At most RESULTS_PER_WORKER feeds per worker fetched and not yet handled: the
                # workers (parsing) outrun this thread (publishing) for the GIL, and with every
                # feed submitted at once the parsed results waited here by the thousand (RSS
                # grew with the feed list). The snapshot is taken now, from the current state.
                while len(pending) < n_workers * RESULTS_PER_WORKER:
                    nxt = next(queue, None)
                    if nxt is None:
                        return
                    feed, fs = nxt
                    snap = _snapshot(feed, ctx.state.feeds.get(feed.url, fs), settings)
                    pending.add(pool.submit(_fetch_if_owned, owner, feed, snap, env))

            refill()
            while pending:
                # A bounded wait: the pass reaches a safe point for a hand-over even while every
                # worker is busy with a slow feed.
                done, not_done = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                pending.clear()
                pending.update(not_done)
                if owner is not None:
                    owner.service(ctx.state, lambda: _commit(ctx, store, owner))
                if (stop is not None and stop.is_set()) or producer_broken(ctx):
                    # Fetches in progress finish within their timeout; their feeds stay due.
                    # After a producer failure every send would fail too: the feeds are left
                    # for the next pass (and its new producer) rather than counted as failed.
                    pool.shutdown(wait=False, cancel_futures=True)
                    break
                for fut in done:
                    result = fut.result()
                    if result is None:
                        continue
                    if owner is not None and not owner.owns(result.feed.url):
                        owner.stats.results_dropped += 1  # handed over while it was fetched
                        continue
                    handle(ctx, result)
                if (
                    ctx.pending_articles >= DRAIN_EVERY_ARTICLES
                    or time.monotonic() - ctx.last_drain > DRAIN_EVERY_S
                ):
                    _commit(ctx, store, owner)
                if progress is not None and done:
                    progress(report)
                refill()
    finally:
        # Also on an interrupt: what was acknowledged is kept, the rest is polled again.
        _commit(ctx, store, owner)
        if owner is None or owner.owned:
            # (A poller waiting for its share would mark every article gone, to unmark them
            # all once it has it.)
            store.maybe_prune(
                ctx.state, [f.url for f in feeds if owner is None or owner.owns(f.url)]
            )
    if progress is not None:
        # The progress calls above come before the final drain: only now are the last feeds'
        # articles acknowledged and counted as published.
        progress(report)
    return report


def tune_interpreter(settings: PollSettings) -> None:
    """Set the poller process's GIL switch interval (``gil_switch_interval_s``). Process-wide,
    so called by the ``poll`` command (and the benches), not by :func:`poll_once`: a library
    user's process keeps its own. The Kafka clients' heartbeats and the pass's own thread wait
    at most a switch interval per busy thread for the GIL, far inside their timeouts."""
    if settings.gil_switch_interval_s > 0:
        sys.setswitchinterval(settings.gil_switch_interval_s)


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
    store: StateStore,
    stop: Any,
    progress: Callable[[PollReport], None] | None = None,
    parse_pool: Executor | None = None,
    new_producer: Callable[[], KafkaProducer] | None = None,
    owner: Ownership | None = None,
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
                    delay = PRODUCER_RETRY.delay(failures - 1)
                    log.error(
                        "cannot make a new Kafka producer (%s); no feed is polled, "
                        "trying again in %.0f s",
                        exc,
                        delay,
                    )
                    stop.wait(delay)
                    continue
                log.info("new Kafka producer made; polling resumes")
                if owner is not None:
                    owner.producer = current  # feed records go out with the working producer
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
                owner=owner,
            )
            pause = 0.0
            if report.producer_failed:
                failures += 1
                # A broker that refuses everything must not make the poller refetch feeds
                # every second.
                pause = PRODUCER_RETRY.delay(failures - 1)
                if new_producer is not None:
                    log.warning("replacing the Kafka producer after a fatal error")
                    if current is not producer:
                        current.close(timeout=5)
                    current = None
            else:
                failures = 0
            state = store.load()
            upcoming = [
                fs.next_poll_at
                for url, fs in state.feeds.items()
                if fs.health != "disabled" and (owner is None or owner.owns(url))
            ]
            delay = min(
                max(1.0, pause, min(upcoming, default=time.time() + 60) - time.time()), 60.0
            )
            if owner is not None:
                owner.wait(stop, delay, state)  # serves the group; returns early on new feeds
            else:
                stop.wait(delay)
    finally:
        if current is not None and current is not producer:
            current.close(timeout=30)
