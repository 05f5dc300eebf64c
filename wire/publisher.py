"""Publishing articles to a topic: the size check, the headers and what a refusal means.

Every record is checked against the largest one both the producer and the topic accept (see
:meth:`wire.admin.TopicLimits.record_limits`) before it is sent: kafka-python's idempotent
producer treats a broker's size refusal as fatal, failing every later send. A refusal that comes
anyway is classified (:class:`RefusalKind`) with whether the producer is now unusable, so a
caller decides between retrying, dead-lettering and stopping without parsing messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from kafka import KafkaProducer
from kafka.errors import (
    KafkaError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    OutOfOrderSequenceNumberError,
)

from diplowire.wire import kafka_compat
from diplowire.wire import topics as t
from diplowire.wire.admin import SHARED_LIMITS, TopicLimits
from diplowire.wire.article import Article, encode
from diplowire.wire.settings import KafkaSettings

Headers = list[tuple[str, bytes]]


class RefusalKind(StrEnum):
    """Why Kafka did not take a record."""

    TIMEOUT = "timeout"
    """Not acknowledged (or no metadata) in time: a slow or absent broker; retrying may work."""
    RETRIABLE = "retriable"
    """Another error Kafka marks retriable (leader moved, not enough replicas...)."""
    TOO_LARGE = "too_large"
    """The broker refused the record's size: the limit in use was wrong."""
    FATAL = "fatal"
    """A non-retriable refusal (authorisation, invalid timestamp, policy...)."""


@dataclass(frozen=True, slots=True)
class Sent:
    """Handed to the producer; :meth:`Publisher.acknowledged` says whether Kafka took it."""

    topic: str
    key: bytes
    size: int
    limit: int
    future: Any
    """kafka-python's ``FutureRecordMetadata``."""


@dataclass(frozen=True, slots=True)
class Oversized:
    """Not sent: the record is larger than ``limit``, the most ``topic`` and the producer take."""

    topic: str
    key: bytes
    size: int
    limit: int


@dataclass(frozen=True, slots=True)
class Refused:
    """Kafka did not take the record (at send, or when acknowledging it)."""

    kind: RefusalKind
    error: KafkaError
    producer_unusable: bool
    """kafka-python's idempotent producer is in its fatal state: every later send fails too."""
    aborted: bool = False
    """Failed by the producer because an *earlier* batch made it unusable, not refused itself."""


SendResult = Sent | Oversized | Refused


def classify(exc: KafkaError, producer: KafkaProducer, future: Any = None) -> Refused:
    """The :class:`Refused` for ``exc``, raised by a send or by its ``future``."""
    if isinstance(exc, MessageSizeTooLargeError):
        kind = RefusalKind.TOO_LARGE
    elif isinstance(exc, KafkaTimeoutError):
        kind = RefusalKind.TIMEOUT
    elif kafka_compat.error_kills_producer(exc):
        kind = RefusalKind.FATAL
    else:
        kind = RefusalKind.RETRIABLE
    from_future = future is not None
    unusable = (from_future and kafka_compat.error_kills_producer(exc)) or (
        kafka_compat.producer_fatal(producer)
    )
    aborted = from_future and kafka_compat.producer_fatal(producer) and _aborted(exc, future)
    return Refused(kind, exc, bool(unusable), bool(aborted))


def _aborted(exc: KafkaError, future: Any) -> bool:
    # A sequence error only says an earlier batch is missing: that batch was the refused one.
    return isinstance(exc, OutOfOrderSequenceNumberError) or kafka_compat.aborted_by_producer(
        future
    )


class Publisher:
    """Sends records through ``producer`` within the topics' real limits (``limits``)."""

    def __init__(
        self, producer: KafkaProducer, kafka: KafkaSettings, limits: TopicLimits = SHARED_LIMITS
    ) -> None:
        self.producer = producer
        self.kafka = kafka
        self.limits = limits

    def record_limit(self, topic: str) -> int:
        """The largest record (:func:`wire.kafka_compat.record_size`) ``topic`` takes now."""
        return self.limits.record_limits(self.producer, self.kafka, (topic,))[topic]

    def send(self, topic: str, article: Article, limit: int | None = None) -> SendResult:
        """``article`` keyed by its id, with its schema-version header (see :meth:`send_record`;
        a caller sending a batch reads ``limit`` once for all of it)."""
        headers = [(t.H_SCHEMA_VERSION, str(article.schema_version).encode())]
        return self.send_record(topic, article.id.encode(), encode(article), headers, limit)

    def send_record(
        self,
        topic: str,
        key: bytes,
        value: bytes,
        headers: Headers,
        limit: int | None = None,
    ) -> SendResult:
        """Checks the record's size against ``limit`` (default: :meth:`record_limit`), sends."""
        limit = self.record_limit(topic) if limit is None else limit
        size = kafka_compat.record_size(key, value, headers)
        if size > limit:
            return Oversized(topic, key, size, limit)
        try:
            future = self.producer.send(topic, key=key, value=value, headers=headers)
        except KafkaError as exc:  # e.g. no broker reachable within max_block_ms
            return classify(exc, self.producer)
        return Sent(topic, key, size, limit, future)

    def acknowledged(self, sent: Sent, timeout_s: float = 0.0) -> Refused | None:
        """None when Kafka acknowledged ``sent`` (waiting up to ``timeout_s``), else why not."""
        try:
            sent.future.get(timeout=timeout_s)
        except KafkaError as exc:
            return classify(exc, self.producer, sent.future)
        return None

    def forget_limits(self) -> None:
        """A size refusal showed a limit was wrong: read them all again on next use."""
        self.limits.forget()
