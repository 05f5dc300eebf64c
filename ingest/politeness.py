"""Per-host politeness shared by the fetch threads: concurrency limit, spacing, Retry-After."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return (parts.hostname or "").lower() + (f":{parts.port}" if parts.port else "")


class HostBlocked(Exception):
    """The host asked us to stay away (Retry-After) for longer than a worker should wait."""

    def __init__(self, host: str, until: float) -> None:
        super().__init__(f"{host} asked to wait until {time.ctime(until)}")
        self.until = until


class HostLimiter:
    """At most ``concurrency`` requests in flight per host, request starts ``spacing_s`` apart.

    A 429/503 with Retry-After blocks the whole host (not only the feed that got it): the other
    feeds of that host are deferred rather than sent into the same wall.
    """

    def __init__(self, concurrency: int, spacing_s: float, max_wait_s: float = 30.0) -> None:
        self.concurrency = max(1, concurrency)
        self.spacing_s = max(0.0, spacing_s)
        self.max_wait_s = max_wait_s
        self._lock = threading.Lock()
        self._sems: dict[str, threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}
        self._blocked_until: dict[str, float] = {}

    def _sem(self, host: str) -> threading.BoundedSemaphore:
        with self._lock:
            sem = self._sems.get(host)
            if sem is None:
                sem = self._sems[host] = threading.BoundedSemaphore(self.concurrency)
            return sem

    def block(self, host: str, seconds: float) -> None:
        with self._lock:
            until = time.monotonic() + seconds
            self._blocked_until[host] = max(self._blocked_until.get(host, 0.0), until)

    def blocked_for(self, host: str) -> float:
        with self._lock:
            return max(0.0, self._blocked_until.get(host, 0.0) - time.monotonic())

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        host = host_of(url)
        blocked = self.blocked_for(host)
        if blocked > self.max_wait_s:
            raise HostBlocked(host, time.time() + blocked)
        with self._sem(host):
            with self._lock:
                now = time.monotonic()
                start = max(
                    now, self._next_start.get(host, 0.0), self._blocked_until.get(host, 0.0)
                )
                # Reserve the start time under the lock so concurrent workers queue up in order.
                self._next_start[host] = start + self.spacing_s
            if start > now:
                time.sleep(start - now)
            yield
