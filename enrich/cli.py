"""``diplowire enrich`` and ``diplowire tag``."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from wire.cliutil import settings_from_args
from wire.settings import EnrichSettings

log = logging.getLogger("diplowire.enrich")


def register(sub: Any) -> None:
    s = sub.add_parser("enrich", help="consume raw articles, publish enriched ones")
    s.set_defaults(func=cmd_enrich)
    s = sub.add_parser("tag", help="enrich JSON lines from stdin to stdout, without Kafka")
    s.set_defaults(func=cmd_tag)


def cmd_enrich(args: argparse.Namespace) -> int:
    from enrich.worker import run_worker
    from wire.loop import StopFlag, install_signal_handlers

    settings: EnrichSettings = settings_from_args(EnrichSettings, args)
    stop = StopFlag()
    install_signal_handlers(stop)
    stats = run_worker(
        settings,
        stop,
        on_batch=lambda s: log.info(
            "%d consumed, %d enriched, %d dead letters", s.consumed, s.succeeded, s.dead_lettered
        ),
    )
    log.info("stopped after draining: %s", stats)
    return 0


def cmd_tag(args: argparse.Namespace) -> int:
    from enrich.tag import tag_stream

    return tag_stream(sys.stdin.buffer, sys.stdout.buffer, sys.stderr)
