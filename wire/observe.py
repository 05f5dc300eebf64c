"""Metrics, liveness and readiness of a long-running worker: one :class:`Observer` per worker.

An observer owns its own prometheus-client registry (not the library's global one: tests run
several workers in one process, and a global registry refuses the same metric twice) and, when
``observe.port`` is set, a small HTTP server on a thread serving ``/metrics`` (Prometheus text
format), ``/healthz`` (200 while the process serves) and ``/readyz`` (200 once every dependency
the worker declared is connected and it is not paused on an outage, else 503 naming what is
missing). prometheus-client's own ``start_http_server`` serves only ``/metrics``, hence
``http.server`` here.

The loop reports through :meth:`Observer.batch_done` from the one place that counts outcomes
(:func:`wire.steps.count`); the poller through :meth:`Observer.poll_progress` from its progress
callback. A worker without a port gets :data:`OFF`, whose methods cost nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from diplowire.wire.settings import ObserveSettings

log = logging.getLogger(__name__)

LAG_TIMEOUT_MS = 2000
"""How long one lag refresh may wait for the broker's end offsets."""

BATCH_SIZES = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000)
DURATIONS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
FRESHNESS_S = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 6 * 3600, 24 * 3600)

METRIC_NAMES = (
    "diplowire_messages_in_total",
    "diplowire_messages_out_total",
    "diplowire_dead_letters_total",
    "diplowire_batch_size",
    "diplowire_batch_duration_seconds",
    "diplowire_consumer_lag",
    "diplowire_freshness_seconds",
    "diplowire_ready",
    "diplowire_poll_feeds_total",
    "diplowire_poll_feed_failures_total",
    "diplowire_poll_articles_published_total",
)
"""Every metric family the code registers (the dashboard and alert rules are checked against
these by tests/wire/test_observe.py)."""


class Observer:
    """The metrics and readiness of one worker (``stage``: poll, enrich, index, subscribe)."""

    def __init__(
        self,
        stage: str,
        settings: ObserveSettings,
        requires: Iterable[str] = ("kafka",),
        freshness: bool = False,
    ) -> None:
        self.stage = stage
        self.settings = settings
        self.freshness = freshness
        self._lock = threading.Lock()
        self._conditions = dict.fromkeys(requires, False)
        self._lag_at = 0.0
        self._report: Any = None
        self._seen: dict[str, int] = {}
        self.server: ThreadingHTTPServer | None = None
        r = self.registry = CollectorRegistry()
        s = ("stage",)
        self.messages_in = Counter("diplowire_messages_in", "Records read", s, registry=r)
        self.messages_out = Counter(
            "diplowire_messages_out", "Records handled successfully", s, registry=r
        )
        self.dead_letters = Counter(
            "diplowire_dead_letters", "Records dead-lettered", (*s, "reason"), registry=r
        )
        self.batch_size = Histogram(
            "diplowire_batch_size", "Records per batch", s, buckets=BATCH_SIZES, registry=r
        )
        self.batch_duration = Histogram(
            "diplowire_batch_duration_seconds",
            "From a batch's decode to its committed offsets",
            s,
            buckets=DURATIONS_S,
            registry=r,
        )
        self.lag = Gauge(
            "diplowire_consumer_lag",
            "End offset minus the consumer's position",
            (*s, "topic", "partition"),
            registry=r,
        )
        self.freshness_s = Histogram(
            "diplowire_freshness_seconds",
            "Now minus the article's fetched time, when the stage finished it",
            s,
            buckets=FRESHNESS_S,
            registry=r,
        )
        self.ready_gauge = Gauge("diplowire_ready", "1 when /readyz answers 200", s, registry=r)
        self.feeds = Counter(
            "diplowire_poll_feeds", "Feeds polled by outcome", ("outcome",), registry=r
        )
        self.feed_failures = Counter(
            "diplowire_poll_feed_failures", "Feed failures by kind", ("kind",), registry=r
        )
        self.published = Counter(
            "diplowire_poll_articles_published", "Articles the raw topic acknowledged", registry=r
        )
        self.ready_gauge.labels(stage).set(0)

    # ------------------------------------------------------------------ readiness

    def condition(self, name: str, ok: bool) -> None:
        """``name`` (kafka, elasticsearch, downstream...) is now connected (or not)."""
        with self._lock:
            self._conditions[name] = ok
            ready = self._ready_locked()
        self.ready_gauge.labels(self.stage).set(1 if ready else 0)

    def readiness(self) -> tuple[bool, list[str]]:
        """Ready or not, and the conditions not met."""
        with self._lock:
            return self._ready_locked(), [k for k, ok in self._conditions.items() if not ok]

    def _ready_locked(self) -> bool:
        return bool(self._conditions) and all(self._conditions.values())

    # ------------------------------------------------------------------ the loop's counts

    def batch_started(self, records: int) -> None:
        self.messages_in.labels(self.stage).inc(records)

    def batch_done(
        self,
        outcomes: Sequence[Any],
        articles: Sequence[Any],
        positions: Sequence[int],
        seconds: float,
    ) -> None:
        """One finished batch: ``outcomes`` one per record (None = success, else its Poison)."""
        stage = self.stage
        ok = sum(1 for o in outcomes if o is None)
        if ok:
            self.messages_out.labels(stage).inc(ok)
        for o in outcomes:
            if o is not None:
                self.dead_letters.labels(stage, o.error).inc()
        self.batch_size.labels(stage).observe(len(outcomes))
        self.batch_duration.labels(stage).observe(seconds)
        if self.freshness:
            now = datetime.now(UTC)
            for art, pos in zip(articles, positions, strict=True):
                if outcomes[pos] is not None:
                    continue
                try:
                    age = (now - _instant(art.timestamps.fetched)).total_seconds()
                except ValueError:  # decoded articles match the pattern; a metric never raises
                    continue
                self.freshness_s.labels(stage).observe(max(age, 0.0))

    def refresh_lag(self, consumer: Any, force: bool = False) -> None:
        """Lag per assigned partition: the consumer's own position against the end offsets, one
        request every ``lag_refresh_s`` at most (``end_offsets`` asks the broker). Called after
        each batch and also while no batch finishes (idle, or paused on a downstream outage):
        that is exactly when lag grows and the lag alert must see it."""
        now = time.monotonic()
        if not force and now - self._lag_at < self.settings.lag_refresh_s:
            return
        self._lag_at = now
        try:
            assigned = list(consumer.assignment())
            if not assigned:
                return
            # Bounded: this also runs while the loop is idle or paused on an outage, where a
            # broker that does not answer must not hold the loop for a whole request timeout.
            ends = consumer.end_offsets(assigned, timeout_ms=LAG_TIMEOUT_MS)
            for tp in assigned:
                lag = max(ends.get(tp, 0) - consumer.position(tp), 0)
                self.lag.labels(self.stage, tp.topic, str(tp.partition)).set(lag)
        except Exception as exc:  # a metric must never stop the worker (broker away: next time)
            log.debug("consumer lag not refreshed: %s", exc)

    # ------------------------------------------------------------------ the poller's counts

    def poll_progress(self, report: Any) -> None:
        """The poller's progress callback: counts what ``report`` gained since its last call.

        A :class:`~ingest.report.PollReport` is cumulative per pass: a new pass's report starts
        the deltas again from zero.
        """
        with self._lock:
            if report is not self._report:
                self._report, self._seen = report, {}
            seen = self._seen

            def delta(key: str, value: int) -> int:
                gained = value - seen.get(key, 0)
                seen[key] = value
                return gained

            for outcome in ("ok", "unchanged", "failed", "deferred"):
                n = delta(outcome, getattr(report, f"feeds_{outcome}"))
                if n:
                    self.feeds.labels(outcome).inc(n)
            for kind, total in report.failures.items():
                n = delta(f"failure:{kind}", total)
                if n:
                    self.feed_failures.labels(kind).inc(n)
            n = delta("published", report.published)
            if n:
                self.published.inc(n)

    # ------------------------------------------------------------------ the server

    def serve(self) -> Observer:
        """Start the HTTP server (port from the settings) on a daemon thread."""
        observer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                if path == "/metrics":
                    self._send(200, generate_latest(observer.registry), CONTENT_TYPE_LATEST)
                elif path == "/healthz":
                    self._send(200, b"ok\n")
                elif path == "/readyz":
                    ready, missing = observer.readiness()
                    body = "ready\n" if ready else "not ready: " + ", ".join(missing) + "\n"
                    self._send(200 if ready else 503, body.encode())
                else:
                    self._send(404, b"not found\n")

            def _send(self, code: int, body: bytes, ctype: str = "text/plain") -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # a scrape every 15 s is not worth a log line

        self.server = ThreadingHTTPServer((self.settings.host, self.settings.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(
            target=self.server.serve_forever, name=f"observe-{self.stage}", daemon=True
        ).start()
        log.info(
            "%s serves /metrics, /healthz, /readyz on %s:%d",
            self.stage,
            self.settings.host,
            self.server.server_address[1],
        )
        return self

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def _instant(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def start(
    stage: str,
    settings: ObserveSettings,
    requires: Iterable[str] = ("kafka",),
    freshness: bool = False,
) -> Observer:
    """The worker's observer, serving when ``settings.port`` is set (0 = no server, metrics still
    counted in memory: cheap, and the code path stays the same)."""
    observer = Observer(stage, settings, requires, freshness)
    return observer.serve() if settings.port else observer
