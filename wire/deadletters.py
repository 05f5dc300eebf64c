"""The dead-letter topic: poison messages, untouched, with headers saying why.

Losing a dead letter would lose its message: a dead letter the topic refuses stops the worker
(:class:`~wire.outcomes.WorkerStopped`) before its offset is committed.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError, KafkaTimeoutError

from diplowire.wire import topics as t
from diplowire.wire.kafka_compat import record_size
from diplowire.wire.outcomes import Poison, WorkerStopped
from diplowire.wire.publisher import Publisher

log = logging.getLogger(__name__)


class DeadLetters:
    """Writes poison messages, untouched, to the dead-letter topic with headers saying why.

    A value over ``max_value_bytes``, or one that would make the record larger than
    ``record_limit()`` (see :meth:`wire.admin.TopicLimits.record_limits`), keeps only its head.
    """

    def __init__(
        self,
        producer: KafkaProducer,
        topic: str,
        stage: str,
        max_value_bytes: int | None = 900_000,
        record_limit: Callable[[], int] | None = None,
    ) -> None:
        self.producer = producer
        self.topic = topic
        self.stage = stage
        self.max_value_bytes = max_value_bytes
        self.record_limit = record_limit

    @classmethod
    def through(
        cls, publisher: Publisher, topic: str, stage: str, max_value_bytes: int | None = None
    ) -> DeadLetters:
        """Dead letters bounded by ``topic``'s real limit, as ``publisher`` reads it (cached:
        a limit changed by hand applies within minutes, without an admin request each)."""
        return cls(
            publisher.producer,
            topic,
            stage,
            max_value_bytes=max_value_bytes,
            record_limit=lambda: publisher.record_limit(topic),
        )

    def send(
        self,
        key: bytes | None,
        value: bytes | None,
        poison: Poison,
        source: tuple[str, int, int] | None = None,
    ) -> Any:
        headers = [
            (t.H_STAGE, self.stage.encode()),
            (t.H_ERROR, poison.error.encode()),
            (t.H_CAUSE, poison.cause[:2000].encode("utf-8", "replace")),
        ]
        if source is not None:
            headers += [
                (t.H_SOURCE_TOPIC, source[0].encode()),
                (t.H_SOURCE_PARTITION, str(source[1]).encode()),
                (t.H_SOURCE_OFFSET, str(source[2]).encode()),
            ]
        if value is not None and not self._fits(key, value, headers):
            # An oversized poison must still be recorded: keep its head and say how big it was.
            headers.append((t.H_TRUNCATED, str(len(value)).encode()))
            value = value[: self._head_room(key, headers)]
        return self.producer.send(self.topic, key=key, value=value, headers=headers)

    def _fits(self, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> bool:
        if self.max_value_bytes is not None and len(value) > self.max_value_bytes:
            return False
        if self.record_limit is None:
            return True
        return record_size(key, value, headers) <= self.record_limit()

    def _head_room(self, key: bytes | None, headers: list[tuple[str, bytes]]) -> int:
        """How many bytes of a value the record can carry besides ``key`` and ``headers``."""
        room = sys.maxsize if self.max_value_bytes is None else self.max_value_bytes
        if self.record_limit is None:
            return room
        limit = self.record_limit()
        # The estimate of a head exceeds its length only by the value's length varint, at most
        # 5 bytes more than an empty value's: 16 bytes leave room to spare.
        overhead = record_size(key, b"", headers) + 16
        if overhead > limit:
            # Sent anyway, the broker would refuse it and kafka-python's idempotent producer
            # would fail every later send; and without its dead letter the message must not be
            # committed.
            raise WorkerStopped(
                f"a dead letter's key and headers alone ({overhead} bytes) exceed the "
                f"{limit}-byte record limit of {self.topic}"
            )
        return min(room, limit - overhead)

    def flush(self, futures: Sequence[Any], timeout: float = 30.0) -> None:
        waited = 0.0
        while True:
            try:
                self.producer.flush(timeout=timeout)
                break
            except KafkaTimeoutError:
                # The broker is away for longer than one flush. Raising here crashed the worker
                # (exit 1, a traceback) in the fault suite; the batch's offsets are committed only
                # after this returns, so waiting is safe, and the records' own delivery timeout
                # still ends the wait (their futures then fail below).
                waited += timeout
                log.warning(
                    "dead-letter topic %s: not acknowledged after %.0f s, still waiting",
                    self.topic,
                    waited,
                )
        for fut in futures:
            try:
                fut.get(timeout=0)
            except KafkaError as exc:
                # Losing a dead letter would lose the message: never commit past it.
                raise WorkerStopped(
                    f"dead-letter topic {self.topic} refused a message: {exc}"
                ) from exc
