"""The enrich handler's delivery errors against real Kafka: retried, never a crash."""

from __future__ import annotations

import time

import pytest
from kafka.admin import KafkaAdminClient, NewTopic

from diplowire.enrich.worker import make_handler
from diplowire.wire.admin import ensure_topics, record_limits
from diplowire.wire.loop import TransientError, WorkerStopped, make_producer
from diplowire.wire.settings import EnrichSettings, KafkaSettings
from tests.support import read_topic
from tests.support.articles import un_articles
from tests.support.kafkanode import KafkaNode


def test_a_flush_that_times_out_is_transient_and_the_retry_delivers(ns: str) -> None:
    # The broker is frozen, so it is a private one: freezing the shared broker would stall every
    # suite running beside this one.
    with KafkaNode() as node:
        node.start()
        kafka = KafkaSettings(bootstrap_servers=node.bootstrap, topic_prefix=ns)
        ensure_topics(kafka)
        topic = kafka.topics.enriched
        producer = make_producer(kafka)
        producer.send(topic, key=b"warm-up", value=b"{}").get(timeout=30)  # metadata, connection
        record_limits(producer, kafka, (topic,))  # read (and cached) while the broker answers
        handle = make_handler(producer, topic, EnrichSettings(kafka=kafka), flush_timeout_s=2.0)
        articles = un_articles()[:3]
        # A broker that stops answering (here: frozen for a few seconds) must not crash the worker.
        with node.frozen(), pytest.raises(TransientError, match="did not acknowledge within 2 s"):
            handle(articles)
        time.sleep(0.5)
        try:
            handle = make_handler(
                producer, topic, EnrichSettings(kafka=kafka), flush_timeout_s=30.0
            )
            assert handle(articles) == [None, None, None]
        finally:
            producer.close(timeout=5)
        ids = {r.key for r in read_topic(kafka, topic)}
        assert {a.id.encode() for a in articles} <= ids


def test_a_non_retriable_refusal_stops_the_worker_instead_of_retrying(
    kafka: KafkaSettings,
) -> None:
    # A topic that accepts no timestamp older than its arrival: the broker refuses every record
    # with INVALID_TIMESTAMP, which kafka-python's idempotent producer treats as fatal.
    topic = kafka.topics.enriched
    admin = KafkaAdminClient(**kafka.client_config())
    try:
        admin.create_topics(
            [NewTopic(topic, 1, 1, topic_configs={"message.timestamp.before.max.ms": "0"})]
        )
    finally:
        admin.close()
    producer = make_producer(kafka)
    handle = make_handler(producer, topic, EnrichSettings(kafka=kafka))
    try:
        with pytest.raises(WorkerStopped, match=r"refused the batch \(Invalid.*out of range"):
            handle(un_articles()[:2])
    finally:
        producer.close(timeout=5)
