"""``diplowire rewind``: move a stage's consumer group back so it re-reads its input topic.

The operator's "replay a topic": after an enricher upgrade, re-enrich the raw topic; after losing
an index, re-index the enriched topic. Every stage writes idempotently (article id and version),
so a re-read adds nothing twice downstream. The stage's workers must be stopped first: Kafka
refuses to move the offsets of a group with live members.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any

from diplowire.wire.cliutil import settings_from_args
from diplowire.wire.settings import EnrichSettings

STAGES = ("enrich", "index")
"""Stages with an input topic: enrich reads the raw topic, index the enriched one."""


def register(sub: Any) -> None:
    s = sub.add_parser(
        "rewind",
        help="re-read a topic: move a stage's consumer group back (stop its workers first)",
    )
    s.add_argument(
        "stage",
        choices=STAGES,
        help="enrich: re-enrich the raw topic; index: re-index the enriched topic",
    )
    s.add_argument(
        "--since", help="from this time (ISO 8601 or a duration ago, e.g. 7d); default: the start"
    )
    s.add_argument("--group", help="another consumer group on the stage's input topic")
    s.set_defaults(func=cmd_rewind)


def _since_ms(since: str | None) -> int | None:
    from diplowire.index.query import parse_time

    if not since:
        return None
    iso = parse_time(since)
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def cmd_rewind(args: argparse.Namespace) -> int:
    from diplowire.index.query import FilterError
    from diplowire.wire.admin import RewindError, rewind_group

    kafka = settings_from_args(EnrichSettings, args).kafka
    topics = kafka.topics
    topic = topics.raw if args.stage == "enrich" else topics.enriched
    group = args.group or topics.group(args.stage)
    try:
        since_ms = _since_ms(args.since)
    except FilterError as exc:
        print(f"diplowire rewind: {exc}", file=sys.stderr)
        return 2
    try:
        moved = rewind_group(kafka, group, topic, since_ms)
    except RewindError as exc:
        print(f"diplowire rewind: {exc}", file=sys.stderr)
        return 1
    for partition, offset in sorted(moved.items()):
        print(f"{group} {partition}: next read at offset {offset}")
    return 0
