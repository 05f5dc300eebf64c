"""``diplowire topics ensure [--check]`` and the workers' partition check at start."""

from __future__ import annotations

import argparse
import sys
from typing import Any

# kafka and wire.admin (which imports it) load in the functions: building the command line
# parser imports this module, and `diplowire --help` must not pay for a Kafka client.
from diplowire.wire.cliutil import settings_from_args
from diplowire.wire.settings import EnrichSettings, KafkaSettings

EXIT_TOO_FEW_PARTITIONS = 2


def register(sub: Any) -> None:
    s = sub.add_parser("topics", help="create or check the pipeline's topics (topics as code)")
    s.add_argument(
        "action",
        choices=["ensure"],
        help="ensure: create the missing topics and report any that differ from the settings",
    )
    s.add_argument(
        "--check",
        action="store_true",
        help="create nothing; exit 1 if a topic is missing or differs",
    )
    s.set_defaults(func=cmd_topics)


def cmd_topics(args: argparse.Namespace) -> int:
    from diplowire.wire.admin import DriftKind, ensure_topics, topic_drift, wanted_topics

    # Every service's settings hold the same kafka section: any one of them reads it.
    kafka: KafkaSettings = settings_from_args(EnrichSettings, args).kafka
    wanted = wanted_topics(kafka)
    created = [] if args.check else ensure_topics(kafka)
    for name in created:
        print(f"created {name}")
    drift = topic_drift(kafka, wanted)
    for d in drift:
        print(f"drift: {d.line()}")
    if not drift:
        print(f"{len(wanted)} topics as wanted: {', '.join(t.name for t in wanted)}")
    if args.check and drift:
        return 1
    # Without --check missing topics were created; other drift needs an operator's decision
    # (partitions cannot shrink, raising them moves keys between partitions).
    return 1 if any(d.kind is DriftKind.MISSING for d in drift) else 0


def too_few_partitions(kafka: KafkaSettings, topic: str, consumers: int) -> str | None:
    """One line saying what to do when ``consumers`` of one group would find ``topic`` too small
    (some would get no partition and idle), or None when it is large enough. A topic that does
    not exist yet is judged by the partitions the worker would create it with."""
    if consumers <= 1:
        return None
    from diplowire.wire.admin import partition_count

    found = partition_count(kafka, topic)
    have = kafka.topic_partitions if found is None else found
    if have >= consumers:
        return None
    state = "would be created with" if found is None else "has"
    return (
        f"{topic} {state} {have} partitions, fewer than the {consumers} consumers asked for: "
        f"run fewer, or raise kafka.topic_partitions to {consumers} and run "
        "`diplowire topics ensure` (a new topic) or add partitions with kafka-topics.sh --alter"
    )


def refuse_if_too_few(kafka: KafkaSettings, topic: str, consumers: int) -> int | None:
    """:data:`EXIT_TOO_FEW_PARTITIONS` after printing why, or None to go on."""
    from kafka.errors import KafkaError

    try:
        problem = too_few_partitions(kafka, topic, consumers)
    except (KafkaError, OSError):
        # Kafka not reachable yet: the workers wait for it as they always do; the check is a
        # guard against a wrong layout, not a start-up gate.
        return None
    if problem is None:
        return None
    print(f"diplowire: {problem}", file=sys.stderr)
    return EXIT_TOO_FEW_PARTITIONS
