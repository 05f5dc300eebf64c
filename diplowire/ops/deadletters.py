"""``diplowire deadletters list|show|replay``: read the dead-letter topic, send chosen dead
letters back to their source topic once the cause is fixed."""

from __future__ import annotations

import argparse
import enum
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# kafka loads in the functions: building the command line parser imports this module.
from diplowire.wire import topics as t
from diplowire.wire.cliutil import settings_from_args
from diplowire.wire.settings import EnrichSettings, KafkaSettings

PREVIEW_BYTES = 300


@dataclass(frozen=True, slots=True)
class DeadLetter:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    @property
    def id(self) -> str:
        return f"{self.partition}:{self.offset}"

    def header(self, name: str) -> str:
        return next((v.decode("utf-8", "replace") for k, v in self.headers if k == name), "")


class Refusal(enum.Enum):
    TRUNCATED = "truncated"
    NO_SOURCE = "no_source_topic"

    @property
    def reason(self) -> str:
        return _REASONS[self]


_REASONS = {
    Refusal.TRUNCATED: "only the head of the message was kept (dw-truncated-from-bytes): "
    "replaying it would send a different message",
    Refusal.NO_SOURCE: "no dw-source-topic header (written by a stage without an input topic)",
}


def register(sub: Any) -> None:
    s = sub.add_parser("deadletters", help="list, show or replay dead letters")
    s.add_argument(
        "action",
        choices=["list", "show", "replay"],
        help="list: counts per stage and error; show: the dead letters themselves; "
        "replay: send them back to their source topic",
    )
    s.add_argument("ids", nargs="*", help="show/replay: dead letters by PARTITION:OFFSET")
    s.add_argument("--stage", help="only dead letters of this stage (dw-stage)")
    s.add_argument("--error", help="only dead letters with this error label (dw-error)")
    s.add_argument("--limit", type=int, default=20, help="show: at most this many (default 20)")
    s.add_argument("--dry-run", action="store_true", help="replay: say what would be sent")
    s.add_argument("--json", action="store_true", help="list/show: JSON lines")
    s.set_defaults(func=cmd_deadletters)


def read_all(kafka: KafkaSettings, timeout_s: float = 30.0) -> Iterator[DeadLetter]:
    """Every dead letter on the topic, oldest first, read without a consumer group (reading must
    not move anything an operator or a worker relies on)."""
    from kafka import KafkaConsumer, TopicPartition
    from kafka.errors import KafkaTimeoutError

    topic = kafka.topics.deadletter
    consumer = KafkaConsumer(
        **kafka.client_config(),
        enable_auto_commit=False,
        max_partition_fetch_bytes=max(kafka.max_message_bytes * 2, 1_048_576),
    )
    try:
        consumer.topics()  # fetch metadata: partitions_for_topic reads only the cache
        parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        if not tps:
            return
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            if time.monotonic() > deadline:
                # kafka's own timeout error: the CLI reports it as an unreachable broker (exit 5).
                raise KafkaTimeoutError(f"reading {topic} took over {timeout_s:.0f}s")
            for records in consumer.poll(timeout_ms=500).values():
                for rec in records:
                    if rec.offset < ends[TopicPartition(rec.topic, rec.partition)]:
                        yield DeadLetter(
                            rec.partition, rec.offset, rec.key, rec.value, tuple(rec.headers or ())
                        )
    finally:
        consumer.close()


def select(
    letters: Iterator[DeadLetter], ids: list[str], stage: str | None, error: str | None
) -> list[DeadLetter]:
    wanted = set(ids)
    return [
        d
        for d in letters
        if (not wanted or d.id in wanted)
        and (stage is None or d.header(t.H_STAGE) == stage)
        and (error is None or d.header(t.H_ERROR) == error)
    ]


def refusal(letter: DeadLetter) -> Refusal | None:
    if letter.header(t.H_TRUNCATED):
        return Refusal.TRUNCATED
    if not letter.header(t.H_SOURCE_TOPIC):
        return Refusal.NO_SOURCE
    return None


def replay(
    kafka: KafkaSettings, letters: list[DeadLetter], dry_run: bool = False
) -> tuple[Counter[str], list[tuple[DeadLetter, Refusal]]]:
    """Send ``letters`` back to their source topics with their original key and the headers they
    came with (the dw-* ones added with the dead letter dropped). (sent per topic, refused)."""
    sent: Counter[str] = Counter()
    refused: list[tuple[DeadLetter, Refusal]] = []
    todo: list[DeadLetter] = []
    for d in letters:
        why = refusal(d)
        if why is None:
            todo.append(d)
        else:
            refused.append((d, why))
    if dry_run or not todo:
        sent.update(d.header(t.H_SOURCE_TOPIC) for d in todo)
        return sent, refused
    from kafka import KafkaProducer

    producer = KafkaProducer(
        **kafka.client_config(), acks="all", max_request_size=kafka.max_message_bytes
    )
    try:
        futures = []
        for d in todo:
            topic = d.header(t.H_SOURCE_TOPIC)
            headers = [(k, v) for k, v in d.headers if not k.startswith("dw-")]
            futures.append((topic, producer.send(topic, key=d.key, value=d.value, headers=headers)))
        producer.flush(timeout=30)
        for topic, fut in futures:
            fut.get(timeout=30)  # a refused send is an error the operator must see, not a count
            sent[topic] += 1
    finally:
        producer.close(timeout=10)
    return sent, refused


def _preview(value: bytes | None) -> str:
    if value is None:
        return "(null)"
    head = value[:PREVIEW_BYTES].decode("utf-8", "replace")
    more = f" ... ({len(value)} bytes)" if len(value) > PREVIEW_BYTES else ""
    return head + more


def cmd_deadletters(args: argparse.Namespace) -> int:
    kafka: KafkaSettings = settings_from_args(EnrichSettings, args).kafka
    letters = select(read_all(kafka), args.ids, args.stage, args.error)
    if args.action == "list":
        counts = Counter((d.header(t.H_STAGE), d.header(t.H_ERROR)) for d in letters)
        for (stage, error), n in sorted(counts.items()):
            if args.json:
                print(json.dumps({"stage": stage, "error": error, "count": n}))
            else:
                print(f"{stage:<10} {error:<30} {n:>8}")
        if not args.json:
            print(f"{len(letters)} dead letters on {kafka.topics.deadletter}")
        return 0
    if args.action == "show":
        for d in letters[: args.limit]:
            headers = {k: v.decode("utf-8", "replace") for k, v in d.headers}
            key = None if d.key is None else d.key.decode("utf-8", "replace")
            if args.json:
                print(
                    json.dumps(
                        {"id": d.id, "key": key, "headers": headers, "value": _preview(d.value)}
                    )
                )
                continue
            print(f"dead letter {d.id}  key {key}")
            for k, v in headers.items():
                print(f"  {k}: {v}")
            print(f"  value: {_preview(d.value)}")
        return 0 if letters else 1
    sent, refused = replay(kafka, letters, dry_run=args.dry_run)
    verb = "would send" if args.dry_run else "sent"
    for topic, n in sorted(sent.items()):
        print(f"{verb} {n} to {topic}")
    for d, why in refused:
        print(f"refused {d.id}: {why.value}: {why.reason}", file=sys.stderr)
    if not letters:
        print("no dead letter matches", file=sys.stderr)
    return 1 if refused or not letters else 0
