"""``diplowire rewind`` against the real shared Kafka: the enrich group re-reads the raw topic
from the start or from a time, and a group with a live member is refused with one line."""

from __future__ import annotations

import time

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

from diplowire.cli import main
from diplowire.wire.admin import ensure_topics
from diplowire.wire.settings import KafkaSettings


def _committed(kafka: KafkaSettings, group: str, tp: TopicPartition) -> int | None:
    consumer = KafkaConsumer(**kafka.client_config(), group_id=group, enable_auto_commit=False)
    try:
        return consumer.committed(tp)
    finally:
        consumer.close()


def test_rewind_enrich_to_start_then_to_a_time(
    env: KafkaSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    ensure_topics(env, partitions=1)
    tp = TopicPartition(env.topics.raw, 0)
    producer = KafkaProducer(**env.client_config())
    old = int(time.time() * 1000) - 3_600_000  # an hour ago, by the record's own timestamp
    for i in range(3):
        producer.send(env.topics.raw, value=b"old", partition=0, timestamp_ms=old + i)
    for _ in range(2):
        producer.send(env.topics.raw, value=b"new", partition=0)
    producer.flush()
    producer.close()
    group = f"{env.topic_prefix}-enrich"
    consumer = KafkaConsumer(**env.client_config(), group_id=group, enable_auto_commit=False)
    consumer.commit({tp: OffsetAndMetadata(5, "", -1)})
    consumer.close()

    assert main(["rewind", "enrich"]) == 0
    assert f"{env.topics.raw}[0]: next read at offset 0" in capsys.readouterr().out
    assert _committed(env, group, tp) == 0

    # "30m": after the three old records, before the two new ones.
    assert main(["rewind", "enrich", "--since", "30m"]) == 0
    capsys.readouterr()
    assert _committed(env, group, tp) == 3


def test_rewind_refuses_a_group_with_a_live_member(
    env: KafkaSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    ensure_topics(env, partitions=1)
    group = f"{env.topic_prefix}-index"
    member = KafkaConsumer(
        env.topics.enriched, **env.client_config(), group_id=group, enable_auto_commit=False
    )
    try:
        deadline = time.monotonic() + 30
        while not member.assignment() and time.monotonic() < deadline:
            member.poll(timeout_ms=200)
        assert member.assignment(), "the member never joined"
        code = main(["rewind", "index"])
        err = capsys.readouterr().err
        assert code == 1
        assert err.startswith("diplowire rewind: could not rewind")
        assert len(err.strip().splitlines()) == 1
    finally:
        member.close()


def test_rewind_names_a_missing_topic(
    env: KafkaSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["rewind", "index"])
    err = capsys.readouterr().err
    assert code == 1 and "does not exist" in err
