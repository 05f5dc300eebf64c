"""The ``diplowire`` command: one entry point for the stack, the workers and the tools."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

from wire.settings import (
    EnrichSettings,
    IndexSettings,
    PollSettings,
    SettingsError,
    describe,
    load,
)

log = logging.getLogger("diplowire")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # The Kafka client is chatty at INFO about every connection.
    logging.getLogger("kafka").setLevel(logging.WARNING)
    logging.getLogger("elastic_transport").setLevel(logging.WARNING)


def _settings(cls: type[Any], args: argparse.Namespace, **overrides: Any) -> Any:
    settings = load(cls, file=args.config, overrides=overrides)
    for line in describe(settings):
        log.debug("setting %s", line)
    return settings


def cmd_stack(args: argparse.Namespace) -> int:
    from diplowire import stack

    return stack.main([args.action])


def cmd_poll(args: argparse.Namespace) -> int:
    from ingest.feeds import load_feeds
    from ingest.poller import poll_once, run_forever
    from ingest.state import FileStateStore
    from wire.loop import StopFlag, install_signal_handlers, make_producer

    settings: PollSettings = _settings(
        PollSettings, args, feeds=args.feeds, state_dir=args.state_dir
    )
    feeds = load_feeds(settings.feeds, base_url=args.base_url)
    store = FileStateStore(settings.state_dir)
    producer = make_producer(settings.kafka)
    try:
        if args.once:
            report = poll_once(feeds, settings, producer, store, progress=_poll_progress)
            print(json.dumps(report.__dict__), flush=True)
            return 0 if report.feeds_failed == 0 else 3
        stop = StopFlag()
        install_signal_handlers(stop)
        run_forever(feeds, settings, producer, store, stop, progress=_poll_progress)
        return 0
    finally:
        producer.close(timeout=30)


def _poll_progress(report: Any) -> None:
    log.info(
        "polled %d feeds (%d failed, %d unchanged): %d articles published, %d seen before",
        report.feeds_polled,
        report.feeds_failed,
        report.feeds_unchanged,
        report.published,
        report.duplicates,
    )


def cmd_feeds(args: argparse.Namespace) -> int:
    from ingest.feeds import load_feeds, to_opml
    from ingest.state import FileStateStore

    settings: PollSettings = _settings(
        PollSettings, args, feeds=args.feeds, state_dir=args.state_dir
    )
    if args.action == "export":
        sys.stdout.write(to_opml(load_feeds(settings.feeds)))
        return 0
    state = FileStateStore(settings.state_dir).load()
    feeds = load_feeds(settings.feeds, base_url=args.base_url)
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
            }
        )
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    else:
        print(f"{'HEALTH':9} {'FAILS':>5} {'PUBLISHED':>9}  FEED")
        for row in rows:
            err = f"  [{row['last_error']}]" if row["last_error"] else ""
            print(
                f"{row['health']:9} {row['failures']:>5} {row['published']:>9}  "
                f"{row['name']} <{row['url']}>{err}"
            )
    return 0


def cmd_enrich(args: argparse.Namespace) -> int:
    from enrich.worker import run_worker
    from wire.loop import StopFlag, install_signal_handlers

    settings: EnrichSettings = _settings(EnrichSettings, args)
    stop = StopFlag()
    install_signal_handlers(stop)
    stats = run_worker(
        settings,
        stop,
        on_batch=lambda s: log.info(
            "enrich: %d consumed, %d enriched, %d dead letters",
            s.consumed,
            s.succeeded,
            s.dead_lettered,
        ),
    )
    log.info("enrich stopped: %s", stats)
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    from index.worker import run_worker
    from wire.loop import StopFlag, install_signal_handlers

    settings: IndexSettings = _settings(IndexSettings, args)
    stop = StopFlag()
    install_signal_handlers(stop)
    stats = run_worker(
        settings,
        stop,
        on_batch=lambda s: log.info(
            "index: %d consumed, %d indexed, %d dead letters",
            s.consumed,
            s.succeeded,
            s.dead_lettered,
        ),
    )
    log.info("index stopped: %s", stats)
    return 0


def cmd_tag(args: argparse.Namespace) -> int:
    from enrich.tag import tag_stream

    return tag_stream(sys.stdin.buffer, sys.stdout.buffer, sys.stderr)


def cmd_run(args: argparse.Namespace) -> int:
    from diplowire.run import run_local

    return run_local(args)


def cmd_schema(args: argparse.Namespace) -> int:
    from wire.article import json_schema

    print(json.dumps(json_schema(args.kind), indent=2, ensure_ascii=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="diplowire", description=__doc__)
    p.add_argument("--config", help="YAML settings file (also DIPLOWIRE_CONFIG)")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("stack", help="start/stop the local Kafka + Elasticsearch")
    s.add_argument("action", choices=["up", "down", "status"])
    s.set_defaults(func=cmd_stack)

    def feed_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--feeds", help="feed list, YAML or OPML (also DIPLOWIRE_FEEDS)")
        sp.add_argument("--state-dir", help="poller state directory (DIPLOWIRE_STATE_DIR)")
        sp.add_argument("--base-url", help="resolve relative feed URLs against this URL")

    s = sub.add_parser("poll", help="poll feeds and publish articles to the raw topic")
    feed_args(s)
    s.add_argument("--once", action="store_true", help="poll every feed once, then exit")
    s.set_defaults(func=cmd_poll)

    s = sub.add_parser("feeds", help="feed list tools")
    s.add_argument("action", choices=["status", "export"])
    feed_args(s)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_feeds)

    s = sub.add_parser("enrich", help="consume raw articles, publish enriched ones")
    s.set_defaults(func=cmd_enrich)
    s = sub.add_parser("index", help="consume enriched articles, write them to Elasticsearch")
    s.set_defaults(func=cmd_index)
    s = sub.add_parser("tag", help="enrich JSON lines from stdin to stdout, without Kafka")
    s.set_defaults(func=cmd_tag)
    s = sub.add_parser("schema", help="print the JSON Schema of a message kind")
    s.add_argument("kind", choices=["raw", "enriched"])
    s.set_defaults(func=cmd_schema)

    s = sub.add_parser("run", help="the whole pipeline locally on the bundled sample feeds")
    s.add_argument("--feeds", help="feed list instead of the bundled sample feeds")
    s.add_argument("--no-stack", action="store_true", help="do not start the local stack")
    s.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for indexing")
    s.add_argument("--state-dir", default=None, help="poller state directory")
    s.set_defaults(func=cmd_run)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.verbose)
    try:
        return int(args.func(args))
    except SettingsError as exc:
        print(f"diplowire: bad settings: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from wire.loop import WorkerStopped

        if isinstance(exc, WorkerStopped):
            print(f"diplowire {args.command}: stopped: {exc}", file=sys.stderr)
            return 4
        if _is_connection_error(exc):
            print(f"diplowire {args.command}: {exc.__class__.__name__}: {exc}", file=sys.stderr)
            return 5
        raise


def _is_connection_error(exc: Exception) -> bool:
    from kafka.errors import NoBrokersAvailable

    return isinstance(exc, NoBrokersAvailable | ConnectionError)


if __name__ == "__main__":
    sys.exit(main())
