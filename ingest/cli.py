"""``diplowire poll`` and ``diplowire feeds``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from diplowire.wire.cliutil import settings_from_args
from diplowire.wire.settings import PollSettings

if TYPE_CHECKING:
    # prometheus_client loads in cmd_poll: `diplowire --help` builds this module's parser.
    from diplowire.wire import observe

log = logging.getLogger("diplowire.poll")


def _feed_args(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--feeds", help="feed list, YAML or OPML (also DIPLOWIRE_FEEDS)")
    sp.add_argument("--state-dir", help="poller state directory (also DIPLOWIRE_STATE_DIR)")
    sp.add_argument("--base-url", help="resolve relative feed URLs against this URL")


def register(sub: Any) -> None:
    s = sub.add_parser("poll", help="poll feeds and publish articles to the raw topic")
    _feed_args(s)
    s.add_argument("--once", action="store_true", help="poll every feed once, then exit")
    s.set_defaults(func=cmd_poll)

    s = sub.add_parser("feeds", help="feed list tools: health status, OPML export")
    s.add_argument(
        "action",
        choices=["status", "export"],
        help="status: each feed's health from the poller's state; "
        "export: the feed list as OPML on stdout",
    )
    _feed_args(s)
    s.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    s.set_defaults(func=cmd_feeds)


def cmd_poll(args: argparse.Namespace) -> int:
    from diplowire.ingest.feeds import load_feeds
    from diplowire.ingest.state import FileStateStore
    from diplowire.wire.loop import StopFlag

    settings: PollSettings = settings_from_args(
        PollSettings, args, feeds=args.feeds, state_dir=args.state_dir
    )
    feeds = load_feeds(settings.feeds, base_url=args.base_url)
    store = FileStateStore(settings.state_dir)
    stop = StopFlag()
    from diplowire.wire import observe

    # Metrics and readiness (wire/observe.py): fed by every progress report of a pass.
    obs = observe.start("poll", settings.observe)

    def progress(report: Any) -> None:
        obs.poll_progress(report)
        _progress(report)

    try:
        return _poll(args, settings, feeds, store, stop, obs, progress)
    finally:
        obs.close()


def _poll(
    args: argparse.Namespace,
    settings: PollSettings,
    feeds: Any,
    store: Any,
    stop: Any,
    obs: observe.Observer,
    progress: Any,
) -> int:
    from diplowire.ingest.ownership import start_owner
    from diplowire.ingest.poller import (
        POLLER_PRODUCER,
        make_parse_pool,
        run_forever,
        tune_interpreter,
    )
    from diplowire.wire.loop import install_signal_handlers, make_producer
    from diplowire.wire.startup import StartupStopped, wait_for_kafka

    tune_interpreter(settings)

    if args.once:
        # A one-shot pass (cron, CI) fails fast: its next run is the retry.
        producer = make_producer(settings.kafka, **POLLER_PRODUCER)
    else:
        install_signal_handlers(stop)
        try:
            producer = wait_for_kafka(
                settings.kafka,
                stop,
                lambda: make_producer(settings.kafka, **POLLER_PRODUCER),
                timeout_s=settings.startup_timeout_s,
                logger=log,
            )
        except StartupStopped:
            log.info("stopped while waiting for Kafka")
            return 0
    obs.condition("kafka", True)
    pool = make_parse_pool(settings)
    try:
        if args.once:
            report = _poll_once(settings, feeds, producer, store, stop, progress, pool)
            print(json.dumps(report.__dict__), flush=True)
            # A failed producer left feeds unpolled (or unpublished) without failing them.
            return 0 if report.feeds_failed == 0 and not report.producer_failed else 3
        # poll.owners: this poller polls only its share of the list (ingest/ownership.py).
        owner = start_owner(settings, producer, store) if settings.owners else None
        try:
            run_forever(
                feeds,
                settings,
                producer,
                store,
                stop,
                progress=progress,
                parse_pool=pool,
                new_producer=lambda: make_producer(settings.kafka, **POLLER_PRODUCER),
                owner=owner,
            )
        finally:
            if owner is not None:
                owner.close(store.load())
        return 0
    finally:
        producer.close(timeout=30)
        if pool is not None:
            pool.shutdown()


ONCE_SHARE_TIMEOUT_S = 90.0
"""How long ``poll --once`` with ``owners`` waits for its share of the list (unless
``startup_timeout_s`` says otherwise): a running poller hands partitions over within 30 s."""


def _poll_once(
    settings: PollSettings,
    feeds: Any,
    producer: Any,
    store: Any,
    stop: Any,
    progress: Any,
    pool: Any,
) -> Any:
    """One pass. With ``owners``, as one more member of the pollers' group: it polls only the
    share the group gives it (all of the list when no other poller runs), so a one-shot run
    beside running pollers polls no feed they own, and it hands its share back on exit."""
    from diplowire.ingest.ownership import start_owner
    from diplowire.ingest.poller import poll_once

    if not settings.owners:
        return poll_once(feeds, settings, producer, store, progress=progress, parse_pool=pool)
    owner = start_owner(settings, producer, store)
    try:
        timeout_s = settings.startup_timeout_s or ONCE_SHARE_TIMEOUT_S
        if not owner.wait_for_share(store.load(), timeout_s, stop):
            from diplowire.errors import ErrorKind, UserError

            raise UserError(
                ErrorKind.STARTUP_TIMEOUT,
                f"no share of the feed list from the pollers' group {owner.group} "
                f"within {timeout_s:.0f} s",
                "check that Kafka is reachable and the other pollers are alive, or poll "
                "without owners (DIPLOWIRE_OWNERS=false polls the whole list)",
            )
        log.info("polling once the share of partitions %s", sorted(owner.owned))
        return poll_once(
            feeds, settings, producer, store, progress=progress, parse_pool=pool, owner=owner
        )
    finally:
        owner.close(store.load())


def _progress(report: Any) -> None:
    log.info(
        "polled %d feeds (%d failed, %d unchanged, %d deltas): %d articles published, "
        "%d seen before, %d oversized (dead-lettered), %d entries skipped %s, "
        "%d feeds re-decoded (not in their declared charset)",
        report.feeds_polled,
        report.feeds_failed,
        report.feeds_unchanged,
        report.feeds_delta,
        report.published,
        report.duplicates,
        report.articles_oversized,
        report.skipped_entries,
        report.skipped or "",
        sum(report.feeds_recoded.values()),
    )


def _demo_fallback(args: argparse.Namespace, settings: PollSettings) -> tuple[PollSettings, Any]:
    """With no feed list configured and no default list, the last ``diplowire run``'s feeds and
    state (diplowire/demofeeds.py); otherwise ``settings`` and ``--base-url`` unchanged."""
    from pathlib import Path

    from diplowire import demofeeds

    defaults = PollSettings()
    configured = args.feeds or os.environ.get("DIPLOWIRE_FEEDS") or settings.feeds != defaults.feeds
    if configured or Path(settings.feeds).exists():
        return settings, args.base_url
    demo = demofeeds.read()
    if demo is None:
        from diplowire.errors import ErrorKind, UserError

        raise UserError(
            ErrorKind.USAGE,
            f"no feed list configured, and the default {settings.feeds} does not exist",
            "give one with --feeds FILE (or DIPLOWIRE_FEEDS); after `make demo`, "
            "this command shows the demo's feeds",
        )
    state_dir = demo.state_dir if settings.state_dir == defaults.state_dir else settings.state_dir
    # On stderr: --json output stays one object per line.
    print(
        f"no feed list configured: the feeds of the last `diplowire run` ({demo.feeds})",
        file=sys.stderr,
    )
    return replace(settings, feeds=demo.feeds, state_dir=state_dir), args.base_url or demo.base_url


def cmd_feeds(args: argparse.Namespace) -> int:
    from diplowire.ingest.feeds import load_feeds, to_opml
    from diplowire.ingest.state import FileStateStore

    settings: PollSettings = settings_from_args(
        PollSettings, args, feeds=args.feeds, state_dir=args.state_dir
    )
    settings, base_url = _demo_fallback(args, settings)
    state = FileStateStore(settings.state_dir).load()
    if args.action == "export":
        # A feed that moved permanently is exported under its new URL.
        feeds = [
            replace(f, url=fs.moved_to) if (fs := state.feeds.get(f.url)) and fs.moved_to else f
            for f in load_feeds(settings.feeds, base_url=base_url)
        ]
        sys.stdout.write(to_opml(feeds))
        return 0
    feeds = load_feeds(settings.feeds, base_url=base_url)
    rows = []
    for f in feeds:
        fs = state.feeds.get(f.url)
        rows.append(
            {
                "url": f.url,
                "name": f.name,
                "health": fs.health if fs else "new",
                "failures": fs.failures if fs else 0,
                "last_error": fs.last_error if fs else "",
                "last_polled": fs.last_polled if fs else None,
                "published": fs.articles_published if fs else 0,
                "moved_to": fs.moved_to if fs else None,
                "next_poll_at": _iso(fs.next_poll_at) if fs and fs.next_poll_at else None,
                "validators_trusted": fs.validators_trusted if fs else True,
                "last_status": fs.last_status if fs else None,
                "deltas": fs.deltas if fs else 0,
                "delta_ok": fs.delta_ok if fs else True,
                "articles_oversized": fs.articles_oversized if fs else 0,
                # Entries of the last parsed document not published, per reason.
                "skipped": fs.skipped if fs else {},
                "charset_note": fs.charset_note if fs else "",
            }
        )
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    print(f"{'HEALTH':9} {'FAILS':>5} {'PUBLISHED':>9}  FEED")
    for row in rows:
        err = f"  [{row['last_error']}]" if row["last_error"] else ""
        if row["moved_to"]:
            err += f"  (moved to {row['moved_to']})"
        print(
            f"{row['health']:9} {row['failures']:>5} {row['published']:>9}  "
            f"{row['name']} <{row['url']}>{err}"
        )
    return 0


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
