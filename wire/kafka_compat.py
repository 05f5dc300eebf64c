"""Every use of kafka-python's internals, in one place, each with why and the version verified.

kafka-python has no public API for what these functions answer; each reads a private attribute
or a module outside its documented surface. All were read against kafka-python
:data:`VERIFIED_VERSION`; tests/wire/test_kafka_compat.py pins that version and fails, naming
what to re-check here, when the installed one differs. Nothing else in the tree may touch a
kafka-python object's ``_`` attributes or ``kafka.record``.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import threading
import time
from typing import Any

from kafka import KafkaAdminClient, KafkaProducer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import (
    KafkaError,
    KafkaProtocolError,
    RetriableError,
    SaslAuthenticationFailedError,
)
from kafka.net import transport as _transport
from kafka.record import default_records as _default_records
from kafka.record import util as _record_util
from kafka.record.default_records import DefaultRecordBatchBuilder

log = logging.getLogger(__name__)

VERIFIED_VERSION = "3.0.12"
"""The kafka-python release every function below was read against."""

Headers = list[tuple[str, bytes]]


def record_size(key: bytes | None, value: bytes | None, headers: Headers) -> int:
    """Size of one record in a batch of its own, as the broker compares it with
    ``max.message.bytes`` (before compression).

    ``DefaultRecordBatchBuilder.estimate_size_in_bytes`` lives in ``kafka.record``, outside the
    documented client API; it is kafka-python's own estimate, the one its producer checks
    ``max_request_size`` with, so a record this accepts is one the producer does not refuse.
    """
    return int(DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, headers))


def open_admin_client(config: dict[str, Any]) -> KafkaAdminClient:
    """A ``KafkaAdminClient`` that leaves no thread or socket behind when it cannot bootstrap.

    kafka-python 3.0's ``KafkaAdminClient.__init__`` starts its IO thread (``_net``) before it
    bootstraps, and when bootstrapping raises, the half-built client is unreachable and its
    thread, sockets and metrics keep running: a caller retrying while the broker is down (limit
    reads, start-up probes) piles them up until the process runs out of file descriptors. So the
    object is allocated first (``__new__``) and its private parts stopped if ``__init__`` fails.
    """
    admin = KafkaAdminClient.__new__(KafkaAdminClient)
    try:
        KafkaAdminClient.__init__(admin, **config)
    except BaseException:
        for part in ("_client", "_net", "_metrics"):
            obj = getattr(admin, part, None)
            stop = getattr(obj, "close", None) or getattr(obj, "stop", None)
            if stop is not None:
                with contextlib.suppress(Exception):
                    stop()
        raise
    return admin


def producer_fatal(producer: KafkaProducer) -> bool:
    """True when kafka-python's idempotent producer is in its fatal state: it then fails every
    batch, present and future, with the error that made it fatal.

    The state lives only in the private ``_transaction_manager`` (``has_fatal_error()``); a
    producer without idempotence has none and is never fatal.
    """
    manager = getattr(producer, "_transaction_manager", None)
    return bool(manager is not None and manager.has_fatal_error())


def producer_fatal_error(producer: KafkaProducer) -> BaseException | None:
    """The error that put ``producer`` in its fatal state (``_transaction_manager.last_error``),
    or None."""
    manager = getattr(producer, "_transaction_manager", None)
    error = getattr(manager, "last_error", None) if manager is not None else None
    return error if isinstance(error, BaseException) else None


def error_kills_producer(exc: BaseException) -> bool:
    """Whether an error a send's future failed with leaves the (idempotent) producer unusable.

    kafka-python (``TransactionManager.classify_batch_error``) makes every non-retriable batch
    error fatal for an idempotent, non-transactional producer: too large, invalid timestamp,
    policy violation, topic authorisation, corrupt record... Behaviour, not an attribute: it is
    here because it is what a version change could alter.
    """
    return isinstance(exc, KafkaError) and not isinstance(exc, RetriableError)


def aborted_by_producer(fut: Any) -> bool:
    """True when a failed send's record was failed by the producer itself (an earlier batch put
    it in its fatal state), not by the broker refusing this record.

    kafka-python completes a batch it aborts with base offset -1 and one the broker answered
    with an error with ``None``; the error is the same object either way, so the private
    ``FutureRecordMetadata._produce_future.value`` (offset, timestamp, ...) is what tells them
    apart.
    """
    produced = getattr(getattr(fut, "_produce_future", None), "value", None)
    return isinstance(produced, tuple) and bool(produced) and produced[0] == -1


def crc32c_accelerated() -> bool:
    """Whether kafka-python found the ``crc32c`` C extension (``kafka.record.util.crc32c_c``);
    without it the consumer checks record CRCs in pure Python. An attribute gone (another
    version) reads as accelerated: no false warning; the version pin flags the change."""
    return getattr(_record_util, "crc32c_c", True) is not None


# --------------------------------------------------------------------------- refused credentials

_auth_lock = threading.Lock()
_auth_state: dict[str, Any] = {"installed": False, "failure": None}


async def _read_from_sock(self: Any) -> Any:
    """kafka-python 3.0.12's ``KafkaTCPTransport._read_from_sock``, delivering the bytes that
    arrived with the broker's close before reporting the close.

    A broker refusing SASL credentials answers ``SaslAuthenticate`` with error 58 and closes the
    connection at once; both reach one ``recv`` loop, and the original drops the answer and
    reports ``socket disconnected``, an outage that is retried for ever. Handing the answer to
    the connection first (and letting its coroutine run once) makes the connection fail with
    ``SaslAuthenticationFailedError`` instead. Otherwise the original (less its debug line).
    """
    while self._read and not self._closed:
        await self._net.wait_read(self._sock)
        recvd_data, err = self._sock_recv()
        if recvd_data:
            self.last_read = time.monotonic()
            if self._protocol and self._protocol._sensors:
                self._protocol._sensors.bytes_received.record(len(recvd_data))
            try:
                self._protocol.data_received(recvd_data)
            except KafkaProtocolError as e:
                return self.abort(error=e)
        if err:
            if recvd_data:
                await self._net.sleep(0)  # the connection reads the answer and closes itself
            if self._closed:
                return None
            return self.abort(error=err)
    return None


class _AuthFailureWatch(logging.Handler):
    """Keeps the last ``SaslAuthenticationFailedError`` a bootstrap attempt failed with.

    kafka-python 3.0.12 logs a failed bootstrap connection (``kafka.net.manager``, WARNING,
    the error as an argument) and tries again until ``bootstrap_timeout_ms``, then raises a
    bare ``KafkaTimeoutError``: the refusal is only in that log record. Matched by type, not
    by message text.
    """

    def emit(self, record: logging.LogRecord) -> None:
        for arg in record.args if isinstance(record.args, tuple) else ():
            if isinstance(arg, SaslAuthenticationFailedError):
                with _auth_lock:
                    _auth_state["failure"] = arg


def watch_auth_failures() -> None:
    """Install the transport fix and the bootstrap watch once per process (idempotent); called
    before every client is built (wire/security.py)."""
    with _auth_lock:
        if _auth_state["installed"]:
            return
        _auth_state["installed"] = True
    _transport.KafkaTCPTransport._read_from_sock = _read_from_sock
    logging.getLogger("kafka.net.manager").addHandler(_AuthFailureWatch(logging.WARNING))


def last_auth_failure(clear: bool = False) -> BaseException | None:
    """The broker's last refusal of our SASL credentials seen while bootstrapping, or None."""
    with _auth_lock:
        failure = _auth_state["failure"]
        if clear:
            _auth_state["failure"] = None
    return failure if isinstance(failure, BaseException) else None


# --------------------------------------------------------------------------- eager rebalances


class WholeRevocations(ConsumerRebalanceListener):
    """A rebalance listener that always revokes what was held before a new assignment.

    Under the eager protocol (kafka-python's default range/roundrobin assignors) every
    assignment replaces the whole previous one, and ``on_partitions_revoked`` is due before each
    rejoin. kafka-python 3.0.12 was seen to skip it: a group leader whose SyncGroup failed with
    a rebalance in progress, joined the next generation, and got its new, smaller assignment with
    no revocation before it (tests/ingest/test_owners.py, three pollers starting together under
    load: the poller kept polling the partition another had just been given). The callback
    runs once per rebalance attempt (``rejoining``), so a generation it did not see is missed.
    This wrapper remembers what it handed to ``inner`` and, when an assignment comes with
    partitions still held, revokes them all first (as the eager protocol would have)."""

    def __init__(self, inner: ConsumerRebalanceListener) -> None:
        self.inner = inner
        self.held: set[TopicPartition] = set()
        self.missed = 0
        """Revocations made up for: kafka-python skipped this many."""

    def on_partitions_revoked(self, revoked: Any) -> None:
        self.held.clear()
        self.inner.on_partitions_revoked(revoked)

    def on_partitions_assigned(self, assigned: Any) -> None:
        if self.held:
            self.missed += 1
            log.warning(
                "kafka-python assigned %s without revoking %s first: revoking them now",
                sorted(assigned),
                sorted(self.held),
            )
            held, self.held = set(self.held), set()
            self.inner.on_partitions_revoked(held)
        self.held = set(assigned)
        self.inner.on_partitions_assigned(assigned)

    def on_partitions_lost(self, lost: Any) -> None:
        self.held.clear()
        self.inner.on_partitions_lost(lost)


# --------------------------------------------------------------------------- gzip level

GZIP_LEVEL = 6
"""zlib's default, the level Kafka's Java producer uses (``compression.gzip.level`` -1)."""


def _gzip_encode(payload: bytes, compresslevel: int | None = None) -> bytes:
    return gzip.compress(payload, compresslevel=compresslevel or GZIP_LEVEL, mtime=0)


def use_gzip_level() -> None:
    """Make kafka-python compress batches at :data:`GZIP_LEVEL` instead of its fixed 9.

    kafka-python 3.0.12 has no setting for it: ``kafka.codec.gzip_encode`` defaults to 9 and
    ``kafka.record.default_records`` calls it without a level. On article JSON, level 9 runs at
    ~40 MB/s and 6 at ~53 MB/s for batches 1 % larger (bench/ingest.md): a poller spends about
    1 % less CPU. Consumers read either the same (gzip is gzip). Idempotent; called before any
    producer is made (wire.loop.make_producer)."""
    _default_records.gzip_encode = _gzip_encode


SLOW_TASK_TEMPLATE = "ran for %.3fs (>%.3fs threshold)"
"""Part of the warning ``kafka.net.selector`` logs when one step of its event loop takes longer
than ``slow_task_threshold_secs`` (0.1 s, not settable through the client's config)."""


class _SlowTaskFilter(logging.Filter):
    """Drops kafka-python's "Task ... ran for 0.1xx s" warnings.

    They diagnose the client's own event loop (a step held up by the GIL on a busy machine), which
    a user cannot act on, and kafka-python formats the figures into the message, so the outage
    filter's per-template rate limit (wire/startup.py) never recognises a repeat: a one-shot
    command under load printed ~30 of them in 30 s. ``-v`` keeps them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.msg if isinstance(record.msg, str) else ""
        return not (msg.startswith("Task ") and " ran for " in msg and "threshold" in msg)


def quiet_slow_task_warnings() -> logging.Filter:
    """Installs :class:`_SlowTaskFilter` on kafka-python's selector logger; returns it."""
    flt = _SlowTaskFilter()
    logging.getLogger("kafka.net.selector").addFilter(flt)
    return flt
