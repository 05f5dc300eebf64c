"""Capped exponential backoff: the one delay policy of every retry loop.

A :class:`Backoff` is a frozen value, so one can be shared by threads and kept in settings; the
count of attempts lives with the loop that retries (``delay(attempt)``) or in the iterator of
``delays()``. :func:`pause` is the stop-aware wait between two attempts: SIGTERM during a 30 s
wait must not hold a worker up for 30 s.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays ``initial_s``, ``initial_s * factor``, ... capped at ``max_s``.

    ``jitter`` (0 to 1) shortens each delay by up to that fraction, at random, so that workers
    failing together do not retry together.
    """

    initial_s: float = 1.0
    max_s: float = 30.0
    factor: float = 2.0
    jitter: float = 0.0

    def __post_init__(self) -> None:
        if self.initial_s < 0 or self.max_s < self.initial_s:
            raise ValueError(f"backoff needs 0 <= initial_s <= max_s, got {self}")
        if self.factor < 1 or not 0 <= self.jitter <= 1:
            raise ValueError(f"backoff needs factor >= 1 and 0 <= jitter <= 1, got {self}")

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """The wait after failed attempt number ``attempt`` (0 = the first failure)."""
        try:
            base = min(self.initial_s * self.factor ** max(attempt, 0), self.max_s)
        except OverflowError:
            # A retry loop that runs for days must not crash on its own arithmetic.
            base = self.max_s
        if self.jitter:
            base *= 1 - self.jitter * rand()
        return base

    def delays(self, rand: Callable[[], float] = random.random) -> Iterator[float]:
        """``delay(0)``, ``delay(1)``, ... without end (a loop bounds its own attempts)."""
        attempt = 0
        while True:
            yield self.delay(attempt, rand)
            attempt += 1


def pause(seconds: float, stop: threading.Event | None = None) -> bool:
    """Wait ``seconds``, or less if ``stop`` is set meanwhile; True when stopped."""
    if stop is None:
        time.sleep(max(seconds, 0.0))
        return False
    return stop.wait(max(seconds, 0.0))
