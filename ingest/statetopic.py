"""Kafka reads and the topic behind feed ownership (ingest.ownership): the compacted feed-state
topic, and reading partitions up to their end offset as of now."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import NewTopic
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import TopicAlreadyExistsError

from diplowire.wire.admin import open_admin, partition_count
from diplowire.wire.settings import KafkaSettings


def ensure_state_topic(kafka: KafkaSettings, topic: str, partitions: int) -> int:
    """Create the compacted coordination topic if missing; its partition count."""
    admin = open_admin(kafka)
    try:
        if topic not in set(admin.list_topics()):
            configs = {
                "cleanup.policy": "compact",
                "max.message.bytes": str(kafka.max_message_bytes + 65536),
            }
            new = NewTopic(topic, partitions, kafka.topic_replication, topic_configs=configs)
            with contextlib.suppress(TopicAlreadyExistsError):  # another poller won the race
                admin.create_topics([new])
    finally:
        admin.close()
    deadline = time.monotonic() + 30
    while (n := partition_count(kafka, topic)) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"topic {topic} has no partitions after 30 s")
        time.sleep(0.2)
    return n


def _consumer(kafka: KafkaSettings) -> KafkaConsumer:
    return KafkaConsumer(
        **kafka.client_config(),
        group_id=None,
        enable_auto_commit=False,
        max_partition_fetch_bytes=max(kafka.max_message_bytes, 1_048_576) + 65536,
    )


def read_to_end(
    kafka: KafkaSettings, starts: dict[TopicPartition, int | None], timeout_s: float = 120.0
) -> Iterator[ConsumerRecord]:
    """Records of each partition from its start offset (None = the beginning) to its end offset
    as of now."""
    if not starts:
        return
    c = _consumer(kafka)
    try:
        tps = list(starts)
        c.assign(tps)
        ends = c.end_offsets(tps)
        for tp, off in starts.items():
            if off is None:
                c.seek_to_beginning(tp)
            else:
                c.seek(tp, off)
        nxt = {tp: c.position(tp) for tp in tps}
        remaining = {tp for tp in tps if nxt[tp] < ends[tp]}
        deadline = time.monotonic() + timeout_s
        while remaining:
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {sorted(remaining)} took over {timeout_s:.0f} s")
            for tp, recs in c.poll(timeout_ms=500).items():
                for r in recs:
                    # A fetch sent before the seek can come back too: each offset once.
                    if nxt[tp] <= r.offset < ends[tp]:
                        nxt[tp] = r.offset + 1
                        yield r
            remaining = {tp for tp in remaining if max(nxt[tp], c.position(tp)) < ends[tp]}
    finally:
        c.close(autocommit=False)


def offsets_since(
    kafka: KafkaSettings, topic: str, since: float
) -> dict[TopicPartition, int | None]:
    """The first offset at or after ``since`` in each partition of ``topic`` that has one."""
    c = _consumer(kafka)
    try:
        parts = c.partitions_for_topic(topic) or set()
        found = c.offsets_for_times({TopicPartition(topic, p): int(since * 1000) for p in parts})
    finally:
        c.close(autocommit=False)
    return {tp: o.offset for tp, o in found.items() if o is not None}
