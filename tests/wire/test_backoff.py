"""wire.backoff: the shared delay policy (pure) and its stop-aware wait."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from diplowire.wire.backoff import Backoff, pause


def test_delays_double_up_to_the_cap() -> None:
    b = Backoff(1.0, 30.0)
    assert [b.delay(i) for i in range(8)] == [1, 2, 4, 8, 16, 30, 30, 30]
    assert list(itertools.islice(b.delays(), 8)) == [b.delay(i) for i in range(8)]


def test_other_factor_and_huge_attempt_counts_stay_capped() -> None:
    b = Backoff(0.5, 10.0, factor=3.0)
    assert [b.delay(i) for i in range(4)] == [0.5, 1.5, 4.5, 10.0]
    # 3.0 ** 100_000 overflows a float: the cap applies, no OverflowError.
    assert b.delay(100_000) == 10.0


def test_jitter_shortens_by_at_most_its_fraction() -> None:
    b = Backoff(4.0, 4.0, jitter=0.25)
    assert b.delay(0, rand=lambda: 0.0) == 4.0
    assert b.delay(0, rand=lambda: 1.0) == 3.0
    got = {round(b.delay(0), 6) for _ in range(50)}
    assert all(3.0 <= d <= 4.0 for d in got) and len(got) > 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial_s": -1.0},
        {"initial_s": 5.0, "max_s": 1.0},
        {"factor": 0.5},
        {"jitter": 1.5},
    ],
)
def test_nonsense_is_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="backoff needs"):
        Backoff(**kwargs)


def test_pause_ends_at_once_when_stopped() -> None:
    stop = threading.Event()
    threading.Timer(0.1, stop.set).start()
    started = time.monotonic()
    assert pause(30.0, stop) is True
    assert time.monotonic() - started < 5.0
    started = time.monotonic()
    assert pause(0.05, threading.Event()) is False
    assert pause(0.05) is False
    assert time.monotonic() - started >= 0.1
