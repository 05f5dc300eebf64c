"""``diplowire lag``: committed offset, end offset and lag per group and partition."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from typing import Any

# kafka loads in the functions: building the command line parser imports this module.
from diplowire.wire.cliutil import settings_from_args
from diplowire.wire.settings import EnrichSettings, KafkaSettings


@dataclass(frozen=True, slots=True)
class Lag:
    group: str
    topic: str
    partition: int
    committed: int
    end: int

    @property
    def lag(self) -> int:
        return max(0, self.end - self.committed)


def register(sub: Any) -> None:
    s = sub.add_parser("lag", help="consumer lag per group and partition (committed vs end offset)")
    s.add_argument(
        "--group",
        action="append",
        help="consumer group (repeatable; default: the pipeline's enrich and index groups)",
    )
    s.add_argument("--json", action="store_true", help="one JSON object per line")
    s.set_defaults(func=cmd_lag)


def group_lag(kafka: KafkaSettings, groups: list[str]) -> tuple[list[Lag], list[str]]:
    """(lag of every partition a group committed an offset for, groups with no offsets)."""
    from kafka import KafkaConsumer

    from diplowire.wire.admin import open_admin

    admin = open_admin(kafka)
    try:
        committed = admin.list_group_offsets({g: None for g in groups})
    finally:
        admin.close()
    tps = {tp for offsets in committed.values() for tp in offsets}
    ends: dict[Any, int] = {}
    if tps:
        probe = KafkaConsumer(**kafka.client_config(), enable_auto_commit=False)
        try:
            ends = probe.end_offsets(list(tps))
        finally:
            probe.close()
    rows = [
        Lag(group, tp.topic, tp.partition, meta.offset, ends[tp])
        for group in groups
        for tp, meta in (committed.get(group) or {}).items()
        # -1: a partition listed without a commit (the group never consumed it).
        if meta.offset >= 0
    ]
    rows.sort(key=lambda r: (r.group, r.topic, r.partition))
    return rows, [g for g in groups if not any(r.group == g for r in rows)]


def cmd_lag(args: argparse.Namespace) -> int:
    kafka: KafkaSettings = settings_from_args(EnrichSettings, args).kafka
    groups = args.group or [kafka.topics.group("enrich"), kafka.topics.group("index")]
    rows, empty = group_lag(kafka, groups)
    if args.json:
        for r in rows:
            print(json.dumps({**asdict(r), "lag": r.lag}))
        for g in empty:
            print(json.dumps({"group": g, "committed": None}))
        return 0
    print(f"{'GROUP':<28} {'TOPIC':<40} {'PARTITION':>9} {'COMMITTED':>10} {'END':>10} {'LAG':>8}")
    for r in rows:
        print(
            f"{r.group:<28} {r.topic:<40} {r.partition:>9} {r.committed:>10} {r.end:>10} {r.lag:>8}"
        )
    for g in empty:
        print(f"{g}: no committed offsets")
    return 0
