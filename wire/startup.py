"""Waiting for Kafka and Elasticsearch: one start-up policy for every long-running worker.

``poll``, ``enrich`` and ``index`` wait for each dependency they need at start-up, with capped
exponential backoff (1 s, 2 s, 4 s ... 30 s), one log line per attempt and no traceback unless
``-v``; SIGTERM while waiting stops them at once (exit 0). ``startup_timeout_s`` > 0 bounds the
wait: the worker then exits with :data:`EXIT_STARTUP_TIMEOUT` and one line saying what was
missing. Errors that waiting cannot heal (bad settings, refused credentials) are not waited on.

Also here: :class:`OutageLogFilter`, which keeps an outage *while running* from flooding the log
(kafka-python logs every failed connection attempt, at ERROR).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from kafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError

from diplowire.wire.backoff import Backoff
from diplowire.wire.kafka_compat import last_auth_failure
from diplowire.wire.security import check_kafka_tls, mask_url, refusal_of
from diplowire.wire.settings import KafkaSettings

log = logging.getLogger(__name__)
T = TypeVar("T")

EXIT_STARTUP_TIMEOUT = 6
"""``diplowire`` exit code when a dependency was not there within ``startup_timeout_s``."""
INITIAL_DELAY_S = 1.0
MAX_DELAY_S = 30.0
PROBE_TIMEOUT_MS = 3000
"""A Kafka probe gives up after this long, so SIGTERM and the log cadence are not held up by
kafka-python's own bootstrap wait (30 s by default)."""


class StartupTimeout(Exception):
    """A dependency did not become available within ``startup_timeout_s``."""


class StartupStopped(Exception):
    """The stop flag was set (SIGTERM) while waiting for a dependency: nothing ran yet."""


def wait_for(
    service: str,
    where: str,
    attempt: Callable[[], T],
    stop: threading.Event,
    *,
    unavailable: Callable[[BaseException], bool],
    timeout_s: float = 0.0,
    backoff: Backoff | None = None,
    logger: logging.Logger | None = None,
) -> T:
    """``attempt()`` until it returns, while what it raises is ``unavailable``.

    Raises :class:`StartupStopped` if ``stop`` is set, :class:`StartupTimeout` after
    ``timeout_s`` (0 = wait forever); any other error of ``attempt`` is raised at once.
    """
    logger = logger or log
    where = mask_url(where)  # https://user:pass@host is logged as https://user:***@host
    delays = (backoff or Backoff(INITIAL_DELAY_S, MAX_DELAY_S)).delays()
    started = time.monotonic()
    attempts = 0
    while True:
        if stop.is_set():
            raise StartupStopped(f"stopped while waiting for {service} at {where}")
        try:
            result = attempt()
        except Exception as exc:
            if not unavailable(exc):
                # Refused credentials or an untrusted certificate: one typed line, no wait.
                refused = refusal_of(exc, service, where)
                if refused is not None and refused is not exc:
                    raise refused from exc
                raise
            if stop.is_set():
                raise StartupStopped(f"stopped while waiting for {service} at {where}") from exc
            attempts += 1
            waited = time.monotonic() - started
            reason = _one_line(exc)
            if timeout_s and waited >= timeout_s:
                raise StartupTimeout(
                    f"{service} at {where} not available after {waited:.0f} s "
                    f"(startup_timeout_s = {timeout_s:g}): {reason}"
                ) from exc
            delay = next(delays)
            if timeout_s:
                delay = max(0.0, min(delay, timeout_s - waited))
            # The traceback of an unreachable server says nothing the line does not: -v only.
            logger.warning(
                "waiting for %s at %s: %s (retry in %.3g s)",
                service,
                where,
                reason,
                delay,
                exc_info=logger.isEnabledFor(logging.DEBUG),
            )
            stop.wait(delay)
            continue
        if attempts:
            logger.info(
                "%s at %s is available after %.0f s (%d attempts failed)",
                service,
                where,
                time.monotonic() - started,
                attempts,
            )
        return result


def _one_line(exc: BaseException) -> str:
    """``Type: message`` on one line (kafka-python's errors already start with their type)."""
    name = type(exc).__name__
    text = " ".join(str(exc).split())
    if not text.startswith(name):
        text = f"{name}: {text}" if text else name
    return text[:300]


def kafka_unavailable(exc: BaseException) -> bool:
    """A broker that is down, unreachable or not ready: waiting may heal it.

    Not: bad configuration, refused authentication or authorisation (non-retriable errors).
    """
    if isinstance(exc, KafkaConnectionError | OSError):
        return True
    return isinstance(exc, KafkaError) and bool(exc.retriable)


def probe_kafka(kafka: KafkaSettings) -> None:
    """Raises unless a broker of ``kafka.bootstrap_servers`` answers within a few seconds."""
    from diplowire.wire.admin import open_admin

    # kafka-python would retry an untrusted certificate for ever, as if the broker were down.
    check_kafka_tls(kafka, timeout_s=PROBE_TIMEOUT_MS / 1000)
    last_auth_failure(clear=True)
    try:
        admin = open_admin(
            kafka, bootstrap_timeout_ms=PROBE_TIMEOUT_MS, request_timeout_ms=PROBE_TIMEOUT_MS * 2
        )
    except KafkaTimeoutError as exc:
        # ...and a refused password too: kafka_compat saw the refusal, waiting will not heal it.
        refused = refusal_of(exc, "Kafka", kafka.bootstrap_servers)
        if refused is not None:
            raise refused from exc
        raise
    admin.close()


def wait_for_kafka(
    kafka: KafkaSettings,
    stop: threading.Event,
    then: Callable[[], T],
    *,
    timeout_s: float = 0.0,
    logger: logging.Logger | None = None,
) -> T:
    """Wait until a broker answers, then ``then()`` (creating topics, clients...) and return it.

    ``then`` is retried too when it fails because the broker went away again meanwhile.
    """

    def attempt() -> T:
        probe_kafka(kafka)
        return then()

    return wait_for(
        "Kafka",
        kafka.bootstrap_servers,
        attempt,
        stop,
        unavailable=kafka_unavailable,
        timeout_s=timeout_s,
        logger=logger,
    )


def es_unavailable(exc: BaseException) -> bool:
    """Elasticsearch down, unreachable, starting or overloaded; not a refusal (400/401/403...)."""
    from elastic_transport import TlsError
    from elasticsearch import ApiError, TransportError

    if isinstance(exc, TlsError):
        return False  # an untrusted certificate stays untrusted: wire/security.py says why
    if isinstance(exc, TransportError):
        return True
    return isinstance(exc, ApiError) and (exc.status_code == 429 or exc.status_code >= 500)


# --------------------------------------------------------------------------- outage logs

NOISY_LOGGERS = ("kafka", "elastic_transport", "elasticsearch", "urllib3")
"""Libraries that log every failed connection attempt: repeats are rate-limited."""


class OutageLogFilter(logging.Filter):
    """Keeps an outage to a few lines a minute, installed on the log handlers.

    * A record of :data:`NOISY_LOGGERS` repeating one already let through (same logger, level
      and message template) within ``interval_s`` is dropped; the next one let through says how
      many were.
    * A traceback is printed once per logger and exception type; later records of the same kind
      keep their line and lose the traceback. Those libraries' tracebacks (of failed connections)
      are not printed at all. With ``-v`` (``keep_tracebacks``) every one stays.
    """

    def __init__(self, interval_s: float = 60.0, keep_tracebacks: bool = False) -> None:
        super().__init__()
        self.interval_s = interval_s
        self.keep_tracebacks = keep_tracebacks
        self._lock = threading.Lock()
        self._last: dict[tuple[str, int, str], tuple[float, int]] = {}
        self._tracebacks: set[tuple[str, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        # One decision per record: each handler calls the filter again for the same record.
        decided = getattr(record, "_dw_outage_keep", None)
        if decided is not None:
            return bool(decided)
        keep = self._decide(record)
        record._dw_outage_keep = keep
        return keep

    def _decide(self, record: logging.LogRecord) -> bool:
        with self._lock:
            noisy = record.name.split(".")[0] in NOISY_LOGGERS
            if noisy and not self._let_through(record):
                return False
            if noisy and record.exc_info and not self.keep_tracebacks:
                # A library's traceback of a failed connection adds nothing to its line.
                record.exc_info = None
                record.exc_text = None
                record.msg = f"{record.msg} (traceback with -v)"
            elif record.exc_info and record.exc_info[0] is not None and not self.keep_tracebacks:
                key = (record.name, record.exc_info[0].__qualname__)
                if key in self._tracebacks:
                    record.exc_info = None
                    record.exc_text = None
                    record.msg = f"{record.msg} (traceback as logged before)"
                else:
                    self._tracebacks.add(key)
        return True

    def _let_through(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, str(record.msg))
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last[0] < self.interval_s:
            self._last[key] = (last[0], last[1] + 1)
            return False
        if last is not None and last[1]:
            record.msg = f"{record.msg} [{last[1]} similar lines suppressed]"
        self._last[key] = (now, 0)
        if len(self._last) > 10_000:
            # Templates are few; a library formatting values into its messages must not grow this.
            self._last.clear()
        return True


def install_outage_filter(verbose: bool = False, interval_s: float = 60.0) -> OutageLogFilter:
    """Adds one :class:`OutageLogFilter` to every handler of the root logger."""
    flt = OutageLogFilter(interval_s=interval_s, keep_tracebacks=verbose)
    for handler in logging.getLogger().handlers:
        handler.addFilter(flt)
    return flt
