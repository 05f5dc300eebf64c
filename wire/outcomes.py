"""What a stage's handler can say about a message or a batch, without importing Kafka.

Pure stages (``enrich.pipeline``, the index document builder) return these values; only the
consume loop (:mod:`wire.loop`) and the workers around it talk to Kafka.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from enum import StrEnum


class MessageError(StrEnum):
    """Why a message could not be decoded: the ``dw-error`` label of its dead letter.

    The values are on the wire (subscribers and tests filter on them): never rename one.
    """

    INVALID_JSON = "invalid_json"
    SCHEMA_VIOLATION = "schema_violation"
    UNSUPPORTED_VERSION = "unsupported_version"
    OVERSIZED = "oversized"
    EMPTY = "empty"
    """A tombstone (no value)."""


class TransientError(Exception):
    """Downstream is unavailable or slow: retry the same batch later, never dead-letter it."""


class WorkerStopped(Exception):
    """The worker gave up (retry budget exhausted, dead-letter limit reached, fatal sink error)."""


@dataclass(frozen=True, slots=True)
class Poison:
    """Outcome for one message that can never succeed: it goes to the dead-letter topic.

    ``error`` is the ``dw-error`` label: a :class:`MessageError` or a stage's own label enum
    (a ``StrEnum``, so any of them is the string that goes on the wire).
    """

    error: str
    cause: str


Outcome = Poison | None
"""One message's outcome: ``None`` when the next stage took it."""


@dataclass(frozen=True, slots=True)
class Start:
    """A handler's answer when it overlaps batches: the batch's CPU work is done, and ``begin``
    starts the slow part (the request downstream) on a thread of the handler's own, whose future
    gives one outcome per article (see :func:`wire.loop.run`)."""

    begin: Callable[[], Future[Sequence[Outcome]]]
