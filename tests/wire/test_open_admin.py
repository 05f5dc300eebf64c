"""Admin clients that cannot reach a broker leave nothing running behind them."""

from __future__ import annotations

import socket
import threading

import pytest
from kafka.errors import KafkaTimeoutError

from diplowire.wire.admin import forget_topic_limits, open_admin, topic_message_limits
from diplowire.wire.settings import KafkaSettings


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_failed_bootstraps_leave_no_io_threads() -> None:
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{_closed_port()}")
    before = threading.active_count()
    for _ in range(3):
        with pytest.raises(KafkaTimeoutError):
            open_admin(kafka, bootstrap_timeout_ms=300)
        forget_topic_limits()
        # The limit read of the workers goes the same way, and degrades to "no topic limit".
        assert topic_message_limits(kafka, ("raw",)) == {}
    # kafka-python 3.0 starts its IO thread before bootstrapping; each failure used to leave one.
    assert threading.active_count() == before
