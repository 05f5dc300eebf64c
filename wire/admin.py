"""Topics: creation with explicit partitions and retention instead of broker auto-creation, and
the size of the largest record a topic takes."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from diplowire.wire.settings import KafkaSettings

log = logging.getLogger(__name__)

LIMITS_TTL_S = 300.0
"""How long the topics' ``max.message.bytes`` read from the broker are reused."""
GZIP_SLACK = 256
"""Bytes kept below a topic's limit: gzip can make an incompressible record a little larger than
the uncompressed size the check measures."""


def open_admin(kafka: KafkaSettings, **overrides: Any) -> KafkaAdminClient:
    """A ``KafkaAdminClient`` that leaves no thread or socket behind when it cannot bootstrap.

    kafka-python 3.0 starts the client's IO thread before bootstrapping, and a constructor that
    raises leaves that thread and its sockets running: a caller retrying while the broker is down
    (the limit reads below, once a minute) would pile them up until the process runs out of file
    descriptors.
    """
    admin = KafkaAdminClient.__new__(KafkaAdminClient)
    try:
        KafkaAdminClient.__init__(admin, **{**kafka.client_config(), **overrides})
    except BaseException:
        for part in ("_client", "_net", "_metrics"):
            obj = getattr(admin, part, None)
            stop = getattr(obj, "close", None) or getattr(obj, "stop", None)
            if stop is not None:
                with contextlib.suppress(Exception):
                    stop()
        raise
    return admin


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
    admin = open_admin(kafka)
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


_limits_cache: dict[tuple[str, tuple[str, ...]], tuple[float, dict[str, int]]] = {}
_limits_lock = threading.Lock()


def topic_message_limits(kafka: KafkaSettings, names: tuple[str, ...]) -> dict[str, int]:
    """``max.message.bytes`` of those of ``names`` that exist, read from the broker.

    Cached for :data:`LIMITS_TTL_S` (a minute after a failure): one admin request per pass or
    batch would cost little, but a broker that is down would delay each by the bootstrap timeout.
    """
    key = (kafka.bootstrap_servers, names)
    now = time.monotonic()
    with _limits_lock:
        hit = _limits_cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
    limits: dict[str, int] = {}
    ttl = LIMITS_TTL_S
    try:
        admin = open_admin(kafka, bootstrap_timeout_ms=2000, request_timeout_ms=5000)
        try:
            found = admin.describe_configs(
                [
                    ConfigResource(ConfigResourceType.TOPIC, n, configs={"max.message.bytes": None})
                    for n in names
                ],
                config_filter="all",
            )
        finally:
            admin.close()
        for name, cfg in (found.get("topic") or {}).items():
            value = str((cfg.get("max.message.bytes") or {}).get("value") or "")
            if value.isdigit():
                limits[name] = int(value)
        unread = [n for n in names if n not in limits]
        if unread:
            # kafka-python drops a topic it could not describe (not created yet, or no
            # DescribeConfigs right) without an error: say so, and look again soon.
            log.warning("no max.message.bytes for %s: only the producer's limit applies", unread)
            ttl = 60.0
    except (KafkaError, OSError, ValueError) as exc:
        # The producer's own limit still applies; a misconfigured topic then shows up as
        # refused sends until the limit can be read.
        log.warning("cannot read max.message.bytes of %s: %s", ", ".join(names), exc)
        ttl = 60.0
    with _limits_lock:
        _limits_cache[key] = (now + ttl, limits)
    return limits


def forget_topic_limits() -> None:
    with _limits_lock:
        _limits_cache.clear()


def record_limits(
    producer: KafkaProducer, kafka: KafkaSettings, names: tuple[str, ...]
) -> dict[str, int]:
    """Largest record (kafka-python's ``estimate_size_in_bytes``) ``producer`` may send to each
    of ``names``: both the producer and the topic must accept it.

    kafka-python's idempotent producer treats a broker's MESSAGE_TOO_LARGE for a one-record
    batch as fatal: every later send fails until the producer is replaced. Checking each record
    against this bound first keeps the broker from ever refusing one for its size.
    """
    producer_max = int(producer.config.get("max_request_size") or kafka.max_message_bytes)
    limits = topic_message_limits(kafka, names)
    return {
        name: producer_max if name not in limits else min(producer_max, limits[name] - GZIP_SLACK)
        for name in names
    }
