"""When to poll a feed next: adaptive interval, server hints, backoff and jitter (pure)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

_PERIOD_S = {"hourly": 3600, "daily": 86400, "weekly": 7 * 86400, "monthly": 30 * 86400}
_PERIOD_S["yearly"] = 365 * 86400
JITTER = 0.1


def _count(value: Any) -> int | None:
    """A feed's whole number, or None. ``str.isdigit`` also passed "²", which int() refuses, and
    5000-digit strings, over int()'s digit limit: both made a feed unparsable (found by fuzzing).
    """
    text = str(value or "").strip()
    return int(text) if text.isdecimal() and len(text) <= 9 else None


def feed_hint_s(feed_meta: Mapping[str, Any]) -> float:
    """The interval the feed itself asks for: RSS ``ttl`` (minutes) or ``sy:updatePeriod``."""
    hints = [0.0]
    ttl = _count(feed_meta.get("ttl"))
    if ttl is not None:
        hints.append(ttl * 60.0)
    period = str(feed_meta.get("sy_updateperiod") or "").strip().lower()
    if period in _PERIOD_S:
        freq = _count(feed_meta.get("sy_updatefrequency")) or 1
        hints.append(_PERIOD_S[period] / freq)
    return max(hints)


def bounds(base_s: float, min_s: float, max_s: float) -> tuple[float, float]:
    """A feed adapts within [base/4, base*8], never outside the global [min, max]."""
    lo = max(min_s, base_s / 4)
    hi = min(max_s, base_s * 8)
    return lo, max(lo, hi)


def next_interval(
    *,
    current_s: float,
    base_s: float,
    changed: bool,
    change_period_s: float,
    min_s: float,
    max_s: float,
    hint_s: float = 0.0,
) -> float:
    """The next interval before jitter.

    A feed that changed is polled about twice per observed change period (so a change waits half a
    period on average); one that did not change backs off by 1.5x. Server hints (ttl,
    sy:updatePeriod, Cache-Control max-age) are a floor: the server asked not to be polled more
    often. Everything stays inside the feed's bounds, so a hint cannot stop a feed for days.
    """
    lo, hi = bounds(base_s, min_s, max_s)
    current = current_s or base_s
    if changed and change_period_s > 0:
        wanted = change_period_s / 2
    elif changed:
        wanted = current
    else:
        wanted = current * 1.5
    wanted = max(wanted, hint_s)
    return min(hi, max(lo, wanted))


def smooth_period(previous_s: float, observed_s: float) -> float:
    """Exponentially weighted change period, so one burst does not swing the schedule."""
    if previous_s <= 0:
        return observed_s
    return 0.7 * previous_s + 0.3 * observed_s


def jittered(interval_s: float, rng: random.Random | None = None) -> float:
    """±10 %: feeds added together spread out instead of being polled in lockstep forever."""
    r = rng or random
    return interval_s * r.uniform(1 - JITTER, 1 + JITTER)


def backoff_s(
    interval_s: float, failures: int, cap_s: float, retry_after_s: float | None = None
) -> float:
    """Exponential backoff for a failing feed, capped; a server's Retry-After is a floor."""
    delay = min(interval_s * 2 ** min(max(failures - 1, 0), 16), cap_s)
    return max(delay, retry_after_s or 0.0)
