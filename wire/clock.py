"""The stages' wall clock, in the one format the wire carries.

One place, so every stage stamps ``timestamps.*`` and ``indexed`` the same way (millisecond
ISO 8601 UTC written ``Z``, the :data:`wire.article.Instant` format).
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> str:
    return to_instant(datetime.now(UTC))


def to_instant(moment: datetime) -> str:
    """An aware datetime as a wire instant: UTC, milliseconds, ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
