"""``diplowire subscribe``: follow the enriched topic with the search filters, as JSON lines or a
webhook.

The subscriber is a reader beside the indexer, never in its way: it has its own consumer group
(``{prefix}-subscribe`` unless ``--group`` says otherwise), assigns itself every partition, and
writes nothing to the pipeline's topics. Its position is the group's committed offset, or the
point given by ``--from`` (``earliest``, ``latest`` or a time, resolved with the broker's time
index). Offsets are committed after the matches of a poll were printed or accepted by the
webhook, so a restart neither skips nor (apart from the last poll) repeats articles.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from diplowire.index.query import FilterError, Filters, lemmatize, matches, parse_time
from diplowire.wire.backoff import Backoff, pause
from diplowire.wire.outcomes import WorkerStopped
from diplowire.wire.settings import KafkaSettings, SubscribeSettings

if TYPE_CHECKING:
    # kafka, msgspec (wire.article), prometheus (wire.observe) and the loop load in the functions
    # that use them: `diplowire --help` builds this module's parser and must stay light.
    from kafka import KafkaConsumer, TopicPartition

    from diplowire.wire.article import Article
    from diplowire.wire.loop import StopFlag

log = logging.getLogger(__name__)

Sink = Callable[["Article"], None]


@dataclass
class SubscribeStats:
    read: int = 0
    matched: int = 0
    invalid: int = 0
    committed_polls: int = 0


class WebhookError(WorkerStopped):
    """The webhook kept refusing: stop without committing what it did not accept."""


def stdout_sink(out: TextIO) -> Sink:
    from diplowire.wire.article import encode

    def emit(article: Article) -> None:
        out.write(encode(article).decode() + "\n")
        out.flush()

    return emit


def webhook_sink(settings: SubscribeSettings, stop: StopFlag) -> Sink:
    """POST each article as JSON; retry 5xx, 429 and connection errors with backoff."""
    import urllib.error
    import urllib.request

    from diplowire.wire.article import encode

    url = settings.webhook_url
    # A maximum below the first delay caps that one too (Backoff refuses max < initial).
    backoff = Backoff(min(0.5, settings.webhook_retry_max_s), settings.webhook_retry_max_s)

    def emit(article: Article) -> None:
        attempt = 0
        while True:
            attempt += 1
            req = urllib.request.Request(
                url,
                data=encode(article),
                method="POST",
                headers={"Content-Type": "application/json", "X-Diplowire-Article": article.id},
            )
            try:
                with urllib.request.urlopen(req, timeout=settings.webhook_timeout_s) as resp:
                    resp.read()
                return
            except urllib.error.HTTPError as exc:
                if exc.code < 500 and exc.code != 429:
                    raise WebhookError(
                        f"webhook {url} refused article {article.id}: {exc}"
                    ) from exc
                error = f"HTTP {exc.code}"
            except (urllib.error.URLError, OSError) as exc:
                error = str(exc)
            if settings.webhook_max_attempts and attempt >= settings.webhook_max_attempts:
                raise WebhookError(f"webhook {url} failed {attempt} times: {error}")
            if stop.is_set():
                raise WebhookError(f"stopping with article {article.id} not delivered: {error}")
            delay = backoff.delay(attempt - 1)
            log.warning("webhook %s failed (%s): retry in %.1fs", url, error, delay)
            pause(delay, stop)

    return emit


def _partitions(
    consumer: KafkaConsumer, topic: str, timeout_s: float = 30.0
) -> list[TopicPartition]:
    from kafka import TopicPartition

    deadline = time.monotonic() + timeout_s
    while True:
        consumer.topics()
        parts = consumer.partitions_for_topic(topic)
        if parts:
            return [TopicPartition(topic, p) for p in sorted(parts)]
        if time.monotonic() > deadline:
            raise WorkerStopped(f"topic {topic} does not exist (is the enricher running?)")
        time.sleep(0.5)


def _position(consumer: KafkaConsumer, tps: list[TopicPartition], start: str | None) -> str:
    """Seek every partition to the starting point and resolve it; a description for the log."""
    where = _seek(consumer, tps, start)
    # kafka-python's seek_to_end only marks the partition for a reset at the next poll: an
    # article written between the "following ... from new articles only" line and that poll
    # was skipped. position() resolves the offset now, so "from now" means from the log line.
    for tp in tps:
        consumer.position(tp)
    return where


def _seek(consumer: KafkaConsumer, tps: list[TopicPartition], start: str | None) -> str:
    if start == "earliest":
        consumer.seek_to_beginning(*tps)
        return "the beginning of the topic"
    if start == "latest":
        consumer.seek_to_end(*tps)
        return "new articles only"
    if start:
        iso = parse_time(start)
        ms = int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)
        found = consumer.offsets_for_times({tp: ms for tp in tps})
        ends = consumer.end_offsets(tps)
        for tp in tps:
            hit = found.get(tp)
            consumer.seek(tp, hit.offset if hit is not None else ends[tp])
        return f"articles written to the topic since {iso}"
    resumed = 0
    for tp in tps:
        committed = consumer.committed(tp)
        if committed is not None:
            consumer.seek(tp, committed)
            resumed += 1
        else:
            consumer.seek_to_end(tp)
    return "the group's committed position" if resumed else "new articles only (new group)"


def subscribe(
    settings: SubscribeSettings,
    f: Filters,
    sink: Sink,
    stop: StopFlag,
    *,
    start: str | None = None,
    max_matches: int = 0,
    idle_exit_s: float = 0.0,
    stats: SubscribeStats | None = None,
) -> SubscribeStats:
    """Deliver every article of the enriched topic that ``f`` matches to ``sink`` until stopped."""
    from kafka import KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata

    from diplowire.wire import observe
    from diplowire.wire.article import InvalidMessage, decode

    stats = stats if stats is not None else SubscribeStats()
    topics = settings.kafka.topics
    consumer = KafkaConsumer(
        **settings.kafka.client_config(),
        group_id=topics.group(settings.group),
        enable_auto_commit=False,
        auto_offset_reset="latest",
        max_partition_fetch_bytes=max(settings.kafka.max_message_bytes, 1_048_576),
    )
    obs = observe.start("subscribe", settings.observe)
    try:
        tps = _partitions(consumer, topics.enriched)
        consumer.assign(tps)
        where = _position(consumer, tps, start)
        log.info("following %s from %s, matching %s", topics.enriched, where, f.describe())
        obs.condition("kafka", True)
        last_record = time.monotonic()
        while not stop.is_set():
            polled = consumer.poll(timeout_ms=500)
            if not polled:
                if idle_exit_s and time.monotonic() - last_record >= idle_exit_s:
                    break
                continue
            last_record = time.monotonic()
            done, offsets = False, {}
            for records in polled.values():
                for rec in records:
                    stats.read += 1
                    tp = TopicPartition(rec.topic, rec.partition)
                    offsets[tp] = OffsetAndMetadata(rec.offset + 1, "", -1)
                    try:
                        article = decode(rec.value, max_bytes=settings.kafka.max_message_bytes)
                    except InvalidMessage as exc:
                        # Not ours to dead-letter: the indexer does that for the pipeline.
                        stats.invalid += 1
                        log.warning(
                            "skipping %s[%d]@%d: %s", rec.topic, rec.partition, rec.offset, exc
                        )
                        continue
                    if matches(f, article):
                        sink(article)
                        stats.matched += 1
                        obs.messages_out.labels("subscribe").inc()
                        done = bool(max_matches) and stats.matched >= max_matches
                        if done:
                            break
                if done:
                    break
            # Only what was delivered: after --limit, the rest of the poll is for next time.
            consumer.commit(offsets)
            stats.committed_polls += 1
            obs.batch_started(sum(len(records) for records in polled.values()))
            obs.refresh_lag(consumer)
            if done:
                break
    finally:
        consumer.close(autocommit=False)
        obs.close()
    return stats


# --------------------------------------------------------------------------- command


def register(sub: Any) -> None:
    from diplowire.index.search import add_filter_args, bounded_int

    s = sub.add_parser(
        "subscribe",
        help="follow enriched articles live with the search filters (JSON lines or a webhook)",
        description="Print every enriched article that matches the filters as one JSON line, "
        "or POST it to --webhook. Runs as its own consumer group, beside the indexer.",
    )
    add_filter_args(s)
    s.add_argument(
        "--from",
        dest="start",
        help="where to start: earliest, latest, or a time (ISO 8601 or 2h, 7d ago) at which "
        "articles were written to the topic; default: where this group stopped, else latest",
    )
    s.add_argument("--group", help="consumer group suffix (default: subscribe)")
    s.add_argument("--webhook", help="POST each article as JSON to this URL instead of printing")
    s.add_argument(
        "--limit",
        type=bounded_int(0),
        default=0,
        help="stop after this many articles (default 0: never)",
    )
    s.add_argument(
        "--idle-exit", type=float, default=0.0, help="stop after this many seconds without news"
    )
    s.set_defaults(func=cmd_subscribe)


KAFKA_PROBE_MS = 2500
"""How long ``subscribe`` waits for a broker before saying none is there (bootstrap is one TCP
connection and one small request: a broker that answers does so well within this)."""


def check_kafka(kafka: KafkaSettings) -> None:
    """Raise :class:`UserError` unless a broker answers within a few seconds.

    kafka-python would otherwise retry for 30 s, logging every refused connection, and end in
    ``KafkaTimeoutError: KafkaTimeoutError: ...``; its log is silenced for the probe unless -v.
    """
    from diplowire.errors import ErrorKind, UserError
    from diplowire.wire.admin import open_admin
    from diplowire.wire.startup import kafka_unavailable

    kafka_log = logging.getLogger("kafka")
    level = kafka_log.level
    if not logging.getLogger("diplowire").isEnabledFor(logging.DEBUG):
        kafka_log.setLevel(logging.CRITICAL)
    try:
        open_admin(
            kafka, bootstrap_timeout_ms=KAFKA_PROBE_MS, request_timeout_ms=2 * KAFKA_PROBE_MS
        ).close()
    except Exception as exc:
        if not kafka_unavailable(exc):
            raise
        raise UserError(
            ErrorKind.CONNECTION,
            f"no Kafka broker answered at {kafka.bootstrap_servers} "
            f"within {KAFKA_PROBE_MS / 1000:g} s",
            "start it (`diplowire stack up`) or set kafka.bootstrap_servers "
            "(DIPLOWIRE_KAFKA_BOOTSTRAP_SERVERS)",
        ) from exc
    finally:
        kafka_log.setLevel(level)


def cmd_subscribe(args: argparse.Namespace) -> int:
    from diplowire.index.search import filters_from_args
    from diplowire.wire.cliutil import settings_from_args
    from diplowire.wire.loop import StopFlag, install_signal_handlers

    settings: SubscribeSettings = settings_from_args(
        SubscribeSettings, args, group=args.group, webhook_url=args.webhook
    )
    try:
        f = filters_from_args(args, lemmas=False)
        if args.start and args.start not in ("earliest", "latest"):
            parse_time(args.start)
    except FilterError as exc:
        print(f"diplowire subscribe: {exc}", file=sys.stderr)
        return 2
    # An absent broker is said in one line within seconds, before lemmatising (maybe slow).
    check_kafka(settings.kafka)
    if f.text and not args.no_lemmas:
        f = f.with_lemmas(lemmatize(f.text, f.langs))
    stop = StopFlag()
    install_signal_handlers(stop)
    sink = webhook_sink(settings, stop) if settings.webhook_url else stdout_sink(sys.stdout)
    try:
        stats = subscribe(
            settings,
            f,
            sink,
            stop,
            start=args.start,
            max_matches=args.limit,
            idle_exit_s=args.idle_exit,
        )
    except BrokenPipeError:
        # Piped into `head`: the reader has what it wanted.
        return 0
    log.info("%d articles read, %d matched", stats.read, stats.matched)
    return 0
