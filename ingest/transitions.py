"""How a feed's state changes: one pure function, :func:`next_state`, from a state and what
happened to the feed (an outcome) to the next state.

:class:`~ingest.state.FeedState` is frozen: the poller replaces a feed's entry in the state with
the result instead of editing it, so a state handed to a worker, a test or the state file is
never changed behind its holder's back. Time comes in with the outcome and jitter with the
rules, so a transition can be checked without a clock or a network.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from diplowire.ingest import schedule
from diplowire.ingest.errors import FetchError, FetchKind
from diplowire.ingest.feeds import Feed
from diplowire.ingest.state import FeedState
from diplowire.wire.settings import PollSettings

MAX_RETRY_AFTER_S = 7 * 86400
"""A longer Retry-After is cut to this: a typo must not stop a feed forever."""


@dataclass(frozen=True, slots=True)
class Rules:
    """How one feed is scheduled (from its own interval and the poll settings)."""

    base_interval_s: float
    min_interval_s: float
    max_interval_s: float
    max_backoff_s: float
    disable_after_failures: int
    jitter: Callable[[float], float] = schedule.jittered
    """Spreads the next poll time; tests pass an identity to check exact times."""


def rules_for(feed: Feed, settings: PollSettings) -> Rules:
    return Rules(
        base_interval_s=float(feed.interval_s or settings.default_interval_s),
        min_interval_s=settings.min_interval_s,
        max_interval_s=settings.max_interval_s,
        max_backoff_s=settings.max_backoff_s,
        disable_after_failures=settings.disable_after_failures,
    )


@dataclass(frozen=True, slots=True)
class Deferred:
    """The feed's host asked us to wait (Retry-After): the feed was not fetched, not a failure."""

    now: float
    retry_after_s: float | None


@dataclass(frozen=True, slots=True)
class Failed:
    """The poll failed: fetching or parsing (``polled_at`` set), or publishing (the counts are
    the articles acknowledged anyway)."""

    now: float
    error: FetchError
    polled_at: str | None = None
    published: int = 0
    oversized: int = 0


@dataclass(frozen=True, slots=True)
class Answered:
    """The server answered (200, 226 or 304). ``unchanged`` (304 or the same body) ends the
    poll; otherwise the articles are still to be published and :class:`Published`,
    :class:`Failed` or :class:`Requeued` follows once Kafka has answered."""

    now: float
    polled_at: str
    status: int
    delta: bool
    """A ``226 IM Used`` answer (RFC 3229 feed delta)."""
    moved_to: str | None
    sent_validators: bool
    etag: str | None
    last_modified: str | None
    unchanged: bool
    max_age_s: float | None = None
    skipped: Mapping[str, int] = field(default_factory=dict)
    """Entries of the parsed document not published, per reason (changed bodies only)."""
    charset_note: str = ""


@dataclass(frozen=True, slots=True)
class Published:
    """Every article of a changed body was acknowledged (or dead-lettered as too large)."""

    now: float
    published: int
    oversized: int
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    hint_s: float
    max_age_s: float | None
    changed: bool
    """At least one article was sent (new or updated)."""


@dataclass(frozen=True, slots=True)
class Requeued:
    """Not acknowledged only because another record broke the producer: not this feed's
    failure. Validators stay as they were, so the feed is due again and refetched in full."""

    published: int
    oversized: int


Outcome = Deferred | Failed | Answered | Published | Requeued


def next_state(state: FeedState, outcome: Outcome, rules: Rules) -> FeedState:
    """The feed's state after ``outcome``; ``state`` itself is left as it was."""
    match outcome:
        case Deferred(now=now, retry_after_s=wait):
            return replace(state, next_poll_at=now + max(1.0, wait or 0.0))
        case Failed():
            return _failed(state, outcome, rules)
        case Answered():
            return _answered(state, outcome, rules)
        case Published():
            counted = _counted(state, outcome.published, outcome.oversized)
            # After a delta body_hash is None: the full body of the new ETag was never seen, so a
            # later 200 with that ETag must neither be skipped as unchanged nor taken for a lying
            # server.
            fetched = replace(
                counted,
                etag=outcome.etag,
                last_modified=outcome.last_modified,
                body_hash=outcome.body_hash,
                hint_s=outcome.hint_s,
            )
            return _ok(fetched, rules, outcome.now, outcome.changed, outcome.max_age_s)
        case Requeued():
            return _counted(state, outcome.published, outcome.oversized)
    raise TypeError(f"not a feed outcome: {outcome!r}")


def _counted(state: FeedState, published: int, oversized: int) -> FeedState:
    if not (published or oversized):
        return state
    return replace(
        state,
        articles_published=state.articles_published + published,
        articles_oversized=state.articles_oversized + oversized,
    )


def _answered(state: FeedState, a: Answered, rules: Rules) -> FeedState:
    s = replace(
        state,
        last_polled=a.polled_at,
        last_status=a.status,
        deltas=state.deltas + a.delta,
        moved_to=a.moved_to or state.moved_to,
        polls_since_verify=state.polls_since_verify if a.sent_validators else 0,
    )
    if a.unchanged:
        s = replace(
            s,
            etag=a.etag,
            last_modified=a.last_modified,
            polls_since_verify=s.polls_since_verify + a.sent_validators,
        )
        return _ok(s, rules, a.now, changed=False, max_age_s=a.max_age_s)
    # Same validators, different body: a 304 from this server cannot be believed. A delta is
    # meant to differ from the body its ETag was stored with, so it proves nothing.
    lying = (
        not a.delta
        and s.body_hash is not None
        and s.validators_trusted
        and bool(
            (s.etag and a.etag == s.etag)
            or (s.last_modified and not a.etag and a.last_modified == s.last_modified)
        )
    )
    return replace(
        s,
        validators_trusted=s.validators_trusted and not lying,
        skipped=dict(a.skipped),
        charset_note=a.charset_note,
    )


def _ok(
    s: FeedState, rules: Rules, now: float, changed: bool, max_age_s: float | None
) -> FeedState:
    last_changed, period = s.last_changed, s.change_period_s
    if changed:
        if last_changed:
            period = schedule.smooth_period(period, now - last_changed)
        last_changed = now
    interval = schedule.next_interval(
        current_s=s.interval_s,
        base_s=rules.base_interval_s,
        changed=changed,
        change_period_s=period,
        min_s=rules.min_interval_s,
        max_s=rules.max_interval_s,
        hint_s=max(s.hint_s, max_age_s or 0.0),
    )
    return replace(
        s,
        failures=0,
        health="ok",
        last_error="",
        last_changed=last_changed,
        change_period_s=period,
        interval_s=interval,
        next_poll_at=now + rules.jitter(interval),
    )


def _failed(state: FeedState, f: Failed, rules: Rules) -> FeedState:
    err = f.error
    failures = state.failures + 1
    disabled = err.kind == FetchKind.GONE or failures >= rules.disable_after_failures
    retry_after = min(err.retry_after_s, MAX_RETRY_AFTER_S) if err.retry_after_s else None
    delay = schedule.backoff_s(rules.base_interval_s, failures, rules.max_backoff_s, retry_after)
    s = _counted(state, f.published, f.oversized)
    return replace(
        s,
        last_polled=f.polled_at or s.last_polled,
        # The server mishandles A-IM: later polls of this feed are plain conditional GETs, or
        # every poll would ask for the same broken delta again.
        delta_ok=s.delta_ok and not (err.kind == FetchKind.BAD_DELTA or err.delta),
        failures=failures,
        health="disabled" if disabled else "failing",
        last_error=f"{err.kind}: {err}",
        next_poll_at=f.now + rules.jitter(delay),
    )
