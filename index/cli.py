"""``diplowire index``."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from wire.cliutil import settings_from_args
from wire.settings import IndexSettings

log = logging.getLogger("diplowire.index")


def register(sub: Any) -> None:
    s = sub.add_parser("index", help="consume enriched articles, write them to Elasticsearch")
    s.set_defaults(func=cmd_index)


def cmd_index(args: argparse.Namespace) -> int:
    from index.worker import run_worker
    from wire.loop import StopFlag, install_signal_handlers

    settings: IndexSettings = settings_from_args(IndexSettings, args)
    stop = StopFlag()
    install_signal_handlers(stop)
    stats = run_worker(
        settings,
        stop,
        on_batch=lambda s: log.info(
            "%d consumed, %d indexed, %d dead letters", s.consumed, s.succeeded, s.dead_lettered
        ),
    )
    log.info("stopped after draining: %s", stats)
    return 0
