"""wire.startup: the shared wait-with-backoff, its error classes and the outage log filter.

The pure parts are tested with plain callables; waiting for Kafka is tested against the real
shared broker and against a loopback port where nothing listens.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time

import pytest
from kafka.errors import (
    KafkaConfigurationError,
    KafkaConnectionError,
    KafkaTimeoutError,
    TopicAuthorizationFailedError,
)

from diplowire.wire import startup
from diplowire.wire.backoff import Backoff
from diplowire.wire.settings import KafkaSettings
from diplowire.wire.startup import (
    INITIAL_DELAY_S,
    MAX_DELAY_S,
    OutageLogFilter,
    StartupStopped,
    StartupTimeout,
    kafka_unavailable,
    wait_for,
    wait_for_kafka,
)
from tests.support.kafkanode import free_port

LOG = logging.getLogger("tests.wire.startup")


def test_backoff_doubles_up_to_its_cap() -> None:
    # The policy itself is tested in tests/wire/test_backoff.py; this is start-up's default.
    b = Backoff(INITIAL_DELAY_S, MAX_DELAY_S)
    assert [b.delay(i) for i in range(8)] == [1, 2, 4, 8, 16, 30, 30, 30]


def test_wait_for_retries_what_is_unavailable_with_one_line_per_attempt(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = []

    def attempt() -> str:
        calls.append(time.monotonic())
        if len(calls) < 4:
            raise ConnectionRefusedError(111, "refused")
        return "connected"

    caplog.set_level(logging.INFO, logger=LOG.name)
    got = wait_for(
        "Thing",
        "127.0.0.1:1",
        attempt,
        threading.Event(),
        unavailable=lambda e: isinstance(e, OSError),
        backoff=Backoff(0.05, 0.1),
        logger=LOG,
    )
    assert got == "connected"
    waiting = [r for r in caplog.records if r.getMessage().startswith("waiting for Thing")]
    assert len(waiting) == 3
    assert (
        "ConnectionRefusedError: [Errno 111] refused (retry in 0.05 s)" in waiting[0].getMessage()
    )
    # No traceback for an unreachable server unless the logger is at DEBUG (-v).
    assert not any(r.exc_info for r in waiting)
    assert [r.getMessage() for r in caplog.records][-1].startswith(
        "Thing at 127.0.0.1:1 is available after"
    )
    # The gaps follow the backoff (0.05 s, then 0.1 s, capped).
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert gaps[0] >= 0.045 and gaps[1] >= 0.095 and gaps[2] >= 0.095


def test_wait_for_raises_at_once_what_waiting_cannot_heal() -> None:
    calls = 0

    def attempt() -> None:
        nonlocal calls
        calls += 1
        raise KafkaConfigurationError("bad sasl_mechanism")

    with pytest.raises(KafkaConfigurationError):
        wait_for("Kafka", "x", attempt, threading.Event(), unavailable=kafka_unavailable)
    assert calls == 1


def test_wait_for_gives_up_after_the_startup_timeout() -> None:
    def attempt() -> None:
        raise KafkaTimeoutError("Unable to bootstrap from ['127.0.0.1:1']")

    t0 = time.monotonic()
    with pytest.raises(StartupTimeout) as err:
        wait_for(
            "Kafka",
            "127.0.0.1:1",
            attempt,
            threading.Event(),
            unavailable=kafka_unavailable,
            timeout_s=0.5,
            backoff=Backoff(0.1, 0.2),
        )
    # Not before the timeout; the upper bound only tells "gave up" from "kept on trying" (the
    # attempts are instant: a tight bound would measure the machine's load, not the give-up).
    assert 0.5 <= time.monotonic() - t0 < 10.0
    assert str(err.value).startswith("Kafka at 127.0.0.1:1 not available after 1 s")
    assert "startup_timeout_s = 0.5" in str(err.value)
    assert "KafkaTimeoutError: Unable to bootstrap" in str(err.value)


def test_a_stop_while_waiting_returns_promptly() -> None:
    stop = threading.Event()
    calls = 0

    def attempt() -> None:
        nonlocal calls
        calls += 1
        raise KafkaConnectionError("111 ECONNREFUSED")

    threading.Timer(0.3, stop.set).start()
    t0 = time.monotonic()
    with pytest.raises(StartupStopped):
        # The backoff's 30 s wait is cut short by the stop.
        wait_for("Kafka", "x", attempt, stop, unavailable=kafka_unavailable, backoff=Backoff(30))
    assert time.monotonic() - t0 < 10.0  # well inside the 30 s wait it cut short
    assert calls == 1


def test_which_kafka_errors_are_waited_on() -> None:
    assert kafka_unavailable(KafkaTimeoutError("bootstrap"))
    assert kafka_unavailable(KafkaConnectionError("refused"))
    assert kafka_unavailable(ConnectionRefusedError())
    assert not kafka_unavailable(KafkaConfigurationError("bad"))
    assert not kafka_unavailable(TopicAuthorizationFailedError())
    assert not kafka_unavailable(ValueError("bug"))


def _record(
    name: str, msg: str, *args: object, exc: BaseException | None = None
) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, exc_info)


class _StoppedClock:
    """The filter's clock, moved by the test: with the real one a stall of the test process
    longer than the interval between the first and the 100th line let a second one through."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def test_the_outage_filter_rate_limits_library_repeats_and_counts_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = _StoppedClock()
    monkeypatch.setattr(startup, "time", clock)
    flt = OutageLogFilter(interval_s=0.3)
    kept = [
        flt.filter(_record("kafka.net.manager", "Connection failed: %s", f"refused {i}"))
        for i in range(100)
    ]
    assert kept.count(True) == 1
    # Another template, or our own logger, is not held back by that one.
    assert flt.filter(_record("kafka.net.connection", "%s: Connection lost", "conn"))
    assert all(flt.filter(_record("wire.loop", "downstream unavailable %d", i)) for i in range(5))
    clock.now += 0.35
    late = _record("kafka.net.manager", "Connection failed: %s", "refused again")
    assert flt.filter(late)
    assert late.getMessage() == "Connection failed: refused again [99 similar lines suppressed]"


def test_the_outage_filter_prints_a_traceback_once_per_logger_and_error_type() -> None:
    flt = OutageLogFilter()

    def failing(exc: BaseException) -> BaseException:
        try:
            raise exc
        except BaseException as caught:
            return caught

    first = _record("index.worker", "bulk failed", exc=failing(ConnectionError("down")))
    second = _record("index.worker", "bulk failed", exc=failing(ConnectionError("down")))
    other = _record("index.worker", "bulk failed", exc=failing(TimeoutError("slow")))
    assert flt.filter(first) and flt.filter(second) and flt.filter(other)
    assert first.exc_info is not None and other.exc_info is not None
    assert second.exc_info is None
    assert second.getMessage() == "bulk failed (traceback as logged before)"
    # A second handler calling the filter for the same record gets the same answer.
    assert flt.filter(second) and second.getMessage().count("traceback as logged before") == 1
    library = _record("elastic_transport.node_pool", "node failed", exc=failing(OSError()))
    assert flt.filter(library) and library.exc_info is None
    assert library.getMessage() == "node failed (traceback with -v)"
    verbose = OutageLogFilter(keep_tracebacks=True)
    again = [_record("w", "x", exc=failing(ConnectionError())) for _ in range(2)]
    assert all(verbose.filter(r) and r.exc_info is not None for r in again)


def test_wait_for_kafka_returns_once_the_broker_answers(kafka: KafkaSettings) -> None:
    got = wait_for_kafka(kafka, threading.Event(), lambda: "ready", timeout_s=30)
    assert got == "ready"


def test_wait_for_kafka_times_out_on_a_port_where_nothing_listens() -> None:
    nowhere = KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}")
    t0 = time.monotonic()
    with pytest.raises(StartupTimeout, match=r"Kafka at 127\.0\.0\.1:\d+ not available after"):
        wait_for_kafka(nowhere, threading.Event(), lambda: "never", timeout_s=4)
    # Each probe gives up after 3 s: the timeout is kept within a probe's length.
    assert time.monotonic() - t0 < 10
