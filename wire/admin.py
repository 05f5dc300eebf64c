"""Topic creation: explicit partitions and retention instead of broker auto-creation."""

from __future__ import annotations

import logging
import time

from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from wire.settings import KafkaSettings

log = logging.getLogger(__name__)


def ensure_topics(kafka: KafkaSettings, partitions: int = 3, replication: int = 1) -> None:
    topics = kafka.topics
    wanted = [
        NewTopic(
            topics.raw,
            partitions,
            replication,
            topic_configs={"max.message.bytes": str(kafka.max_message_bytes + 65536)},
        ),
        NewTopic(
            topics.enriched,
            partitions,
            replication,
            topic_configs={"max.message.bytes": str(kafka.max_message_bytes + 65536)},
        ),
        # Dead letters are kept until someone looks: a month by default.
        NewTopic(
            topics.deadletter,
            1,
            replication,
            topic_configs={"retention.ms": str(30 * 24 * 3600 * 1000)},
        ),
    ]
    admin = KafkaAdminClient(**kafka.client_config())
    try:
        existing = set(admin.list_topics())
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            try:
                admin.create_topics(missing, wait_for_metadata=True)
                log.info("created topics %s", ", ".join(t.name for t in missing))
            except TopicAlreadyExistsError:
                pass  # another worker won the race
        _wait_for_partitions(kafka, [t.name for t in wanted])
    finally:
        admin.close()


def _wait_for_partitions(kafka: KafkaSettings, names: list[str], timeout_s: float = 30.0) -> None:
    # A consumer that joins its group before the topic's partitions have leaders gets no
    # assignment until its next metadata refresh: wait here instead.
    probe = KafkaConsumer(**kafka.client_config(), enable_auto_commit=False)
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            probe.topics()
            if all(probe.partitions_for_topic(n) for n in names):
                return
            time.sleep(0.2)
        log.warning("topics %s still without partitions after %.0fs", names, timeout_s)
    finally:
        probe.close()
