"""wire.kafka_compat: the version pin, and each workaround against the real broker."""

from __future__ import annotations

import gzip
import importlib.util
import logging
import threading
from typing import Any

import kafka as kafka_python
import pytest
from kafka import TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import KafkaError, KafkaTimeoutError, MessageSizeTooLargeError

from diplowire.wire import kafka_compat as kc
from diplowire.wire.loop import make_producer
from diplowire.wire.settings import KafkaSettings
from tests.support import create_refusing_topic, read_topic
from tests.support.kafkanode import free_port

RECHECK = """\
kafka-python is {installed}, but wire/kafka_compat.py was verified against {verified}.
Re-check each function there against the new release before changing VERIFIED_VERSION:
  record_size            DefaultRecordBatchBuilder.estimate_size_in_bytes (kafka.record)
  open_admin_client      KafkaAdminClient.__init__ (IO thread first), _client, _net, _metrics
  producer_fatal(_error) KafkaProducer._transaction_manager.has_fatal_error() / .last_error
  error_kills_producer   TransactionManager.classify_batch_error (non-retriable = fatal)
  aborted_by_producer    FutureRecordMetadata._produce_future.value[0] == -1 for aborted batches
  crc32c_accelerated     kafka.record.util.crc32c_c
  watch_auth_failures    KafkaTCPTransport._read_from_sock (replaced), the WARNING of
                         KafkaConnectionManager._do_bootstrap carrying the error as an argument
  use_gzip_level         kafka.record.default_records calling gzip_encode(data) (no level)
  WholeRevocations       BaseCoordinator.join_group_async (the `rejoining` flag around
                         _on_join_prepare_async): is on_partitions_revoked still skipped?
  quiet_slow_task_warnings  kafka.net.selector's "Task %r ran for %.3fs (>%.3fs threshold)"
then run tests/wire/test_kafka_compat.py, test_open_admin.py, test_secure_stack.py,
tests/ingest/test_publish.py."""


def test_kafka_python_is_the_verified_version() -> None:
    installed = kafka_python.__version__
    assert installed == kc.VERIFIED_VERSION, RECHECK.format(
        installed=installed, verified=kc.VERIFIED_VERSION
    )


def test_record_size_is_the_bound_the_producer_enforces(kafka: KafkaSettings) -> None:
    key, value, headers = b"k" * 40, b"v" * 5_000, [("dw-schema-version", b"1")]
    size = kc.record_size(key, value, headers)
    assert size > len(key) + len(value) + len(headers[0][0])
    assert kc.record_size(key, value + b"v", headers) > size
    topic = kafka.topics.raw
    # One byte under the record's size, kafka-python's own check refuses it; at its size, not.
    tight = make_producer(kafka, max_request_size=size - 1)
    try:
        with pytest.raises(MessageSizeTooLargeError):
            tight.send(topic, key=key, value=value, headers=headers).get(timeout=30)
    finally:
        tight.close(timeout=5)
    exact = make_producer(kafka, max_request_size=size)
    try:
        meta = exact.send(topic, key=key, value=value, headers=headers).get(timeout=30)
        assert meta.offset >= 0
    finally:
        exact.close(timeout=5)


def test_open_admin_client_works_and_a_failed_one_leaves_no_thread(kafka: KafkaSettings) -> None:
    admin = kc.open_admin_client(kafka.client_config())
    try:
        assert isinstance(admin.list_topics(), list)
    finally:
        admin.close()
    before = threading.active_count()
    for _ in range(3):
        with pytest.raises(KafkaTimeoutError):
            kc.open_admin_client(
                {"bootstrap_servers": f"127.0.0.1:{free_port()}", "bootstrap_timeout_ms": 300}
            )
    assert threading.active_count() == before


def test_a_refused_record_makes_the_producer_fatal_and_later_sends_aborted(
    kafka: KafkaSettings,
) -> None:
    # A topic accepting no timestamp older than its arrival: the broker refuses every record
    # with INVALID_TIMESTAMP, which the idempotent producer treats as fatal.
    topic = kafka.topics.enriched
    create_refusing_topic(kafka, topic)
    producer = make_producer(kafka)
    try:
        assert not kc.producer_fatal(producer) and kc.producer_fatal_error(producer) is None
        first = producer.send(topic, key=b"a", value=b"{}", timestamp_ms=1_000_000)
        with pytest.raises(KafkaError) as refused:
            first.get(timeout=30)
        assert kc.error_kills_producer(refused.value)
        assert not kc.aborted_by_producer(first)  # the broker refused this very record
        assert kc.producer_fatal(producer)
        assert isinstance(kc.producer_fatal_error(producer), KafkaError)
        later = producer.send(topic, key=b"b", value=b"{}")
        with pytest.raises(KafkaError):
            later.get(timeout=30)
        assert kc.aborted_by_producer(later)  # failed by the producer, never sent
    finally:
        producer.close(timeout=5)


def test_retriable_errors_do_not_kill_the_producer() -> None:
    assert not kc.error_kills_producer(KafkaTimeoutError("slow"))
    assert not kc.error_kills_producer(ValueError("not kafka"))
    assert kc.error_kills_producer(MessageSizeTooLargeError("big"))


def test_crc32c_acceleration_is_seen() -> None:
    assert kc.crc32c_accelerated() == (importlib.util.find_spec("crc32c") is not None)


class _Recorder(ConsumerRebalanceListener):
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[int]]] = []

    def on_partitions_revoked(self, revoked: Any) -> None:
        self.calls.append(("revoked", sorted(tp.partition for tp in revoked)))

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.calls.append(("assigned", sorted(tp.partition for tp in assigned)))

    def on_partitions_lost(self, lost: Any) -> None:
        self.calls.append(("lost", sorted(tp.partition for tp in lost)))


def _tps(*parts: int) -> set[TopicPartition]:
    return {TopicPartition("t", p) for p in parts}


def test_an_assignment_without_its_revocation_revokes_what_was_held_first() -> None:
    inner = _Recorder()
    guard = kc.WholeRevocations(inner)
    guard.on_partitions_revoked(set())  # the first join revokes nothing
    guard.on_partitions_assigned(_tps(0, 1))
    # What kafka-python 3.0.12 was seen to do: the next generation's smaller assignment, with
    # no revocation before it. The partitions held are revoked first, all of them (eager).
    guard.on_partitions_assigned(_tps(0))
    assert inner.calls == [
        ("revoked", []),
        ("assigned", [0, 1]),
        ("revoked", [0, 1]),
        ("assigned", [0]),
    ]
    assert guard.missed == 1


def test_a_normal_eager_rebalance_passes_through_unchanged() -> None:
    inner = _Recorder()
    guard = kc.WholeRevocations(inner)
    guard.on_partitions_assigned(_tps(0, 1))
    guard.on_partitions_revoked(_tps(0, 1))
    guard.on_partitions_assigned(_tps(2))
    guard.on_partitions_lost(_tps(2))
    guard.on_partitions_assigned(_tps(1))
    assert inner.calls == [
        ("assigned", [0, 1]),
        ("revoked", [0, 1]),
        ("assigned", [2]),
        ("lost", [2]),
        ("assigned", [1]),
    ]
    assert guard.missed == 0


def test_batches_are_gzipped_at_the_set_level_and_read_back(kafka: KafkaSettings) -> None:
    from kafka.record import default_records

    producer = make_producer(kafka)  # installs the level
    try:
        assert default_records.gzip_encode is kc._gzip_encode
        data = b"".join(b'{"title": "Talks in Istanbul, round %d"}' % i for i in range(2000))
        out = default_records.gzip_encode(data)
        assert gzip.decompress(out) == data
        assert len(out) == len(gzip.compress(data, compresslevel=kc.GZIP_LEVEL, mtime=0))
        # Through the real broker: a gzip batch written this way is read back whole.
        topic = f"{kafka.topic_prefix}.gzip"
        for i in range(50):
            producer.send(topic, key=b"k%d" % i, value=data[i * 40 : i * 40 + 4000])
        producer.flush(timeout=30)
    finally:
        producer.close(timeout=10)
    got = read_topic(kafka, topic)
    assert sorted(r.value for r in got) == sorted(data[i * 40 : i * 40 + 4000] for i in range(50))


def test_slow_task_warnings_are_dropped_and_the_selectors_other_lines_kept() -> None:
    """kafka-python still logs the warning the filter drops, from the logger it sits on."""
    spec = importlib.util.find_spec("kafka.net.selector")
    assert spec is not None and spec.origin is not None
    with open(spec.origin, encoding="utf-8") as src:
        assert kc.SLOW_TASK_TEMPLATE in src.read()
    flt = kc.quiet_slow_task_warnings()
    logger = logging.getLogger("kafka.net.selector")
    try:
        assert flt in logger.filters
        slow = logger.makeRecord(
            logger.name,
            logging.WARNING,
            "selector.py",
            661,
            "Task <Task poll> ran for 0.131s (>0.100s threshold). It is blocking the event loop",
            (),
            None,
        )
        other = logger.makeRecord(
            logger.name,
            logging.WARNING,
            "selector.py",
            653,
            "Task %s left RUNNING after step; demoting to UNSCHEDULED",
            ("t",),
            None,
        )
        assert not logger.filter(slow)
        assert logger.filter(other)
    finally:
        logger.removeFilter(flt)
