"""Topics: creation with explicit partitions and retention instead of broker auto-creation, and
the size of the largest record a topic takes."""

from __future__ import annotations

import enum
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from diplowire.wire.kafka_compat import open_admin_client
from diplowire.wire.settings import KafkaSettings

log = logging.getLogger(__name__)

LIMITS_TTL_S = 300.0
"""How long the topics' ``max.message.bytes`` read from the broker are reused."""
RETRY_TTL_S = 60.0
"""How soon limits that could not all be read are asked for again."""
GZIP_SLACK = 256
"""Bytes kept below a topic's limit: gzip can make an incompressible record a little larger than
the uncompressed size the check measures."""


def open_admin(kafka: KafkaSettings, **overrides: Any) -> KafkaAdminClient:
    """A ``KafkaAdminClient`` that leaves no thread or socket behind when it cannot bootstrap
    (see :func:`wire.kafka_compat.open_admin_client`)."""
    return open_admin_client({**kafka.client_config(), **overrides})


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic as the pipeline wants it."""

    name: str
    partitions: int
    replication: int
    configs: dict[str, str]


class DriftKind(enum.Enum):
    MISSING = "missing"
    TOO_FEW_PARTITIONS = "too_few_partitions"
    REPLICATION = "replication"
    CONFIG = "config"


@dataclass(frozen=True, slots=True)
class Drift:
    """An existing topic that differs from its :class:`TopicSpec`."""

    topic: str
    kind: DriftKind
    setting: str
    wanted: str
    actual: str

    def line(self) -> str:
        return (
            f"{self.topic}: {self.kind.value} {self.setting}: "
            f"wanted {self.wanted}, found {self.actual}"
        )


def wanted_topics(
    kafka: KafkaSettings, partitions: int | None = None, replication: int | None = None
) -> list[TopicSpec]:
    """The raw, enriched and dead-letter topics with the settings' partitions, replication,
    retention and ``max.message.bytes`` (``partitions``/``replication`` override the settings)."""
    parts = kafka.topic_partitions if partitions is None else partitions
    repl = kafka.topic_replication if replication is None else replication
    data = {"max.message.bytes": str(kafka.max_message_bytes + 65536)}
    if kafka.topic_retention_ms:
        data["retention.ms"] = str(kafka.topic_retention_ms)
    topics = kafka.topics
    return [
        TopicSpec(topics.raw, parts, repl, dict(data)),
        TopicSpec(topics.enriched, parts, repl, dict(data)),
        # One partition: dead letters are few, and read in order by whoever looks at them.
        TopicSpec(topics.deadletter, 1, repl, {"retention.ms": str(kafka.deadletter_retention_ms)}),
    ]


def ensure_topics(
    kafka: KafkaSettings, partitions: int | None = None, replication: int | None = None
) -> list[str]:
    """Create the missing pipeline topics; the names of those created."""
    wanted = wanted_topics(kafka, partitions, replication)
    admin = open_admin(kafka)
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(t.name, t.partitions, t.replication, topic_configs=t.configs)
            for t in wanted
            if t.name not in existing
        ]
        if missing:
            try:
                admin.create_topics(missing, wait_for_metadata=True)
                log.info("created topics %s", ", ".join(t.name for t in missing))
            except TopicAlreadyExistsError:
                pass  # another worker won the race
        _wait_for_partitions(kafka, [t.name for t in wanted])
    finally:
        admin.close()
    return [t.name for t in missing]


def topic_drift(kafka: KafkaSettings, wanted: list[TopicSpec]) -> list[Drift]:
    """How the broker's topics differ from ``wanted``. More partitions than wanted is not drift
    (a topic scaled out by hand stays correct); fewer is, since it caps a group's consumers."""
    drift: list[Drift] = []
    admin = open_admin(kafka)
    try:
        described = {d["name"]: d for d in admin.describe_topics([t.name for t in wanted])}
        present = [t for t in wanted if not described.get(t.name, {}).get("error_code")]
        configs: dict[str, dict[str, Any]] = {}
        if present:
            found = admin.describe_configs(
                [
                    ConfigResource(
                        ConfigResourceType.TOPIC, t.name, configs=dict.fromkeys(t.configs)
                    )
                    for t in present
                ],
                config_filter="all",
            )
            configs = found.get("topic") or {}
    finally:
        admin.close()
    for spec in wanted:
        if spec not in present:
            drift.append(Drift(spec.name, DriftKind.MISSING, "topic", "present", "absent"))
            continue
        parts = described[spec.name]["partitions"]
        if len(parts) < spec.partitions:
            drift.append(
                Drift(
                    spec.name,
                    DriftKind.TOO_FEW_PARTITIONS,
                    "partitions",
                    str(spec.partitions),
                    str(len(parts)),
                )
            )
        replicas = min((len(p["replica_nodes"]) for p in parts), default=0)
        if replicas != spec.replication:
            drift.append(
                Drift(
                    spec.name,
                    DriftKind.REPLICATION,
                    "replication",
                    str(spec.replication),
                    str(replicas),
                )
            )
        for key, value in spec.configs.items():
            actual = str(((configs.get(spec.name) or {}).get(key) or {}).get("value"))
            if actual != value:
                drift.append(Drift(spec.name, DriftKind.CONFIG, key, value, actual))
    return drift


def partition_count(kafka: KafkaSettings, topic: str) -> int | None:
    """Partitions of ``topic``; None when it does not exist yet."""
    admin = open_admin(kafka, bootstrap_timeout_ms=5000, request_timeout_ms=10000)
    try:
        (desc,) = admin.describe_topics([topic])
    finally:
        admin.close()
    return None if desc["error_code"] else len(desc["partitions"])


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


class TopicLimits:
    """``max.message.bytes`` of topics, read from the broker and reused for a while.

    Cached for ``ttl_s`` (``retry_s`` after a failure): one admin request per pass or batch
    would cost little, but a broker that is down would delay each by the bootstrap timeout.
    Thread-safe: the poller's threads and a worker's dead letters share one.
    """

    def __init__(self, ttl_s: float = LIMITS_TTL_S, retry_s: float = RETRY_TTL_S) -> None:
        self.ttl_s, self.retry_s = ttl_s, retry_s
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, tuple[str, ...]], tuple[float, dict[str, int]]] = {}

    def topic_limits(self, kafka: KafkaSettings, names: tuple[str, ...]) -> dict[str, int]:
        """``max.message.bytes`` of those of ``names`` that exist."""
        key = (kafka.bootstrap_servers, names)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
        limits, ok = _read_topic_limits(kafka, names)
        with self._lock:
            self._cache[key] = (now + (self.ttl_s if ok else self.retry_s), limits)
        return limits

    def record_limits(
        self, producer: KafkaProducer, kafka: KafkaSettings, names: tuple[str, ...]
    ) -> dict[str, int]:
        """Largest record (:func:`wire.kafka_compat.record_size`) ``producer`` may send to each
        of ``names``: both the producer and the topic must accept it.

        kafka-python's idempotent producer treats a broker's MESSAGE_TOO_LARGE for a one-record
        batch as fatal: every later send fails until the producer is replaced. Checking each
        record against this bound first keeps the broker from ever refusing one for its size.
        """
        producer_max = int(producer.config.get("max_request_size") or kafka.max_message_bytes)
        limits = self.topic_limits(kafka, names)
        return {
            name: producer_max
            if name not in limits
            else min(producer_max, limits[name] - GZIP_SLACK)
            for name in names
        }

    def forget(self) -> None:
        """Read every limit again on next use (a refusal showed one was wrong)."""
        with self._lock:
            self._cache.clear()


SHARED_LIMITS = TopicLimits()
"""The process's cache, the default of every publisher: the limits belong to the broker's
topics, not to one worker, and a refusal seen by one publisher must make all of them read the
limits again."""


def _read_topic_limits(kafka: KafkaSettings, names: tuple[str, ...]) -> tuple[dict[str, int], bool]:
    """(limits of those of ``names`` found, whether all were read)."""
    limits: dict[str, int] = {}
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
            return limits, False
    except (KafkaError, OSError, ValueError) as exc:
        # The producer's own limit still applies; a misconfigured topic then shows up as
        # refused sends until the limit can be read.
        log.warning("cannot read max.message.bytes of %s: %s", ", ".join(names), exc)
        return limits, False
    return limits, True


# The functions below use SHARED_LIMITS, for callers that do not hold a TopicLimits (tests, and
# the poller until it publishes through wire.publisher).


def topic_message_limits(kafka: KafkaSettings, names: tuple[str, ...]) -> dict[str, int]:
    return SHARED_LIMITS.topic_limits(kafka, names)


def forget_topic_limits() -> None:
    SHARED_LIMITS.forget()


def record_limits(
    producer: KafkaProducer, kafka: KafkaSettings, names: tuple[str, ...]
) -> dict[str, int]:
    return SHARED_LIMITS.record_limits(producer, kafka, names)


def rewind_group(
    kafka: KafkaSettings, group: str, topic: str, since_ms: int | None = None
) -> dict[str, int]:
    """Move ``group``'s committed offsets on every partition of ``topic`` to the start (or to the
    first record at or after ``since_ms``), so its next run re-reads from there.

    The stages' writes are idempotent (ids and versions), so re-reading duplicates nothing
    downstream. Kafka refuses to move the offsets of a group with live members: stop its workers
    first. A partition with no record at or after ``since_ms`` goes to its end offset.
    """
    from kafka import TopicPartition
    from kafka.admin import OffsetSpec, OffsetTimestamp

    probe = KafkaConsumer(**kafka.client_config(), enable_auto_commit=False)
    try:
        parts = probe.partitions_for_topic(topic) or set()
    finally:
        probe.close()
    if not parts:
        raise RewindError(f"topic {topic} does not exist (or has no partitions)")
    spec = OffsetSpec.EARLIEST if since_ms is None else OffsetTimestamp(since_ms)
    admin = open_admin(kafka)
    try:
        result = admin.reset_group_offsets(group, {TopicPartition(topic, p): spec for p in parts})
    finally:
        admin.close()
    failed = {tp: r["error"] for tp, r in result.items() if r["error"].errno != 0}
    if failed:
        raise RewindError(f"could not rewind {group} (are its workers stopped?): {failed}")
    return {f"{tp.topic}[{tp.partition}]": r["offset"] for tp, r in result.items()}


class RewindError(RuntimeError):
    """A group's offsets could not be moved: the topic is missing or the group has live members."""
