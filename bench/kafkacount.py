"""Counting a topic's messages for the benchmarks (bench/ imports nothing from tests/)."""

from __future__ import annotations

from kafka import KafkaConsumer, TopicPartition

from diplowire.wire.settings import KafkaSettings


def topic_size(kafka: KafkaSettings, topic: str) -> int:
    """Messages ever written to ``topic``: the sum of its partitions' end offsets (0 if absent)."""
    consumer = KafkaConsumer(**kafka.client_config(), enable_auto_commit=False, group_id=None)
    try:
        consumer.topics()
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or set()]
        return sum(consumer.end_offsets(tps).values()) if tps else 0
    finally:
        consumer.close()
