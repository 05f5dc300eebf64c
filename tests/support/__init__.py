"""Helpers for integration tests against the real stack (no fakes here)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError

from diplowire.wire.loop import Stats, StopFlag
from diplowire.wire.settings import KafkaSettings


@dataclass(frozen=True)
class Stack:
    """Where the shared stack answers (the ``stack`` fixture's value)."""

    bootstrap: str
    es_url: str


class WorkerThread(threading.Thread):
    """Runs a worker's ``run_worker(settings, stop, stats=...)`` until its stop flag is set."""

    def __init__(self, run_worker: Callable[..., Stats], settings: Any, **kwargs: Any) -> None:
        super().__init__(daemon=True, name=getattr(run_worker, "__module__", "worker"))
        self.stop = StopFlag()
        self.stats = Stats()
        self.error: BaseException | None = None
        self._fn, self._settings, self._kwargs = run_worker, settings, kwargs

    def run(self) -> None:
        try:
            self._fn(self._settings, self.stop, stats=self.stats, **self._kwargs)
        except BaseException as exc:
            self.error = exc

    def __enter__(self) -> WorkerThread:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.join(timeout=60)
        assert not self.is_alive(), "worker did not stop within 60 s"


def wait_for(
    predicate: Callable[[], bool],
    timeout: float,
    what: str,
    workers: tuple[WorkerThread, ...] = (),
    detail: Callable[[], str] | None = None,
) -> None:
    """Poll ``predicate`` until true; on timeout, fail with the workers' stats and ``detail()``
    (what a post-mortem needs: counts so far, a worker process's log tail)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for w in workers:
            if w.error is not None:
                raise AssertionError(f"worker failed while waiting for {what}") from w.error
        if predicate():
            return
        time.sleep(0.25)
    state = "; ".join(f"{w.name}: {w.stats}" for w in workers)
    more = f"\n{detail()}" if detail is not None else ""
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} [{state}]{more}")


def es_count(es: Elasticsearch, index: str) -> int:
    if not es.indices.exists(index=index):
        return 0
    es.indices.refresh(index=index)
    return int(es.count(index=index)["count"])


READ_TO_END_S = 60.0
"""How long :func:`read_topic` may take to read a topic up to the end offsets it found: a wait
for records that are there, over as soon as they are read (its ``timeout_s`` bounds the wait
for the topic to appear)."""


def read_topic(kafka: KafkaSettings, topic: str, timeout_s: float = 10.0) -> list[Any]:
    """Every record currently in ``topic``, read by a bare consumer without a group; [] when
    the topic does not appear within ``timeout_s``. A read that cannot reach the end offsets is
    an error, never a partial answer (it used to return what it had read at ``timeout_s``, a
    wrong answer rather than a slow one on a loaded machine)."""
    consumer = KafkaConsumer(**kafka.client_config(), enable_auto_commit=False, group_id=None)
    try:
        deadline = time.monotonic() + timeout_s
        parts = None
        while not parts and time.monotonic() < deadline:
            consumer.topics()
            parts = consumer.partitions_for_topic(topic)
            if not parts:
                time.sleep(0.2)
        if not parts:
            return []
        tps = [TopicPartition(topic, p) for p in parts]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        records: list[Any] = []
        read_by = time.monotonic() + max(READ_TO_END_S, timeout_s)
        while not all(consumer.position(tp) >= end[tp] for tp in tps):
            if time.monotonic() > read_by:
                at = {tp.partition: (consumer.position(tp), end[tp]) for tp in tps}
                raise AssertionError(f"{topic} not read to its end: (position, end) {at}")
            for recs in consumer.poll(timeout_ms=500).values():
                records.extend(recs)
        return records
    finally:
        consumer.close()


def topic_size(kafka: KafkaSettings, topic: str) -> int:
    consumer = KafkaConsumer(**kafka.client_config(), enable_auto_commit=False, group_id=None)
    try:
        consumer.topics()
        parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in parts]
        if not tps:
            return 0
        return sum(consumer.end_offsets(tps).values())
    finally:
        consumer.close()


COORDINATOR_WAIT_S = 30.0


def committed(kafka: KafkaSettings, group: str) -> int:
    """Sum of the group's committed offsets over all its partitions.

    A retriable broker error (the group's coordinator not ready yet: a new group, or the offsets
    topic still being created after the broker started) is asked again for up to
    ``COORDINATOR_WAIT_S``: raised at once, it failed a ``wait_for`` poll that the next poll
    would have passed (tests/enrich/test_oversized.py, CoordinatorNotAvailableError)."""
    deadline = time.monotonic() + COORDINATOR_WAIT_S
    while True:
        admin = KafkaAdminClient(**kafka.client_config())
        try:
            offsets = admin.list_group_offsets({group: None}).get(group, {})
            return sum(o.offset for o in offsets.values() if o.offset > 0)
        except KafkaError as exc:
            if not exc.retriable or time.monotonic() > deadline:
                raise
        finally:
            admin.close()
        time.sleep(0.5)


def create_limited_topic(kafka: KafkaSettings, name: str, max_message_bytes: int) -> None:
    """A one-partition topic whose broker-side record limit is ``max_message_bytes``."""
    create_topic(kafka, name, {"max.message.bytes": str(max_message_bytes)})


def create_refusing_topic(kafka: KafkaSettings, name: str) -> None:
    """A one-partition topic that refuses every record as older than its arrival
    (INVALID_TIMESTAMP): a non-retriable refusal, fatal to an idempotent producer."""
    create_topic(kafka, name, {"message.timestamp.before.max.ms": "0"})


def create_topic(kafka: KafkaSettings, name: str, configs: dict[str, str]) -> None:
    """A one-partition topic with these topic ``configs``."""
    admin = KafkaAdminClient(**kafka.client_config())
    try:
        admin.create_topics([NewTopic(name, 1, 1, topic_configs=configs)])
    finally:
        admin.close()
