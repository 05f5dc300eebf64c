"""next_state: a feed's state transitions as a pure function (no clock, no network, no stack)."""

from __future__ import annotations

import dataclasses

import pytest

from diplowire.ingest.errors import FetchError, FetchKind
from diplowire.ingest.state import FeedState
from diplowire.ingest.transitions import (
    MAX_RETRY_AFTER_S,
    Answered,
    Deferred,
    Failed,
    Published,
    Requeued,
    Rules,
    next_state,
)

NOW = 1_000_000.0
RULES = Rules(
    base_interval_s=600.0,
    min_interval_s=60.0,
    max_interval_s=86_400.0,
    max_backoff_s=21_600.0,
    disable_after_failures=3,
    jitter=lambda s: s,  # exact times, so the schedule itself is what is checked
)


def answered(**kw: object) -> Answered:
    base: dict[str, object] = {
        "now": NOW,
        "polled_at": "2026-01-01T00:00:00Z",
        "status": 200,
        "delta": False,
        "moved_to": None,
        "sent_validators": True,
        "etag": '"e2"',
        "last_modified": None,
        "unchanged": False,
    }
    return Answered(**(base | kw))  # type: ignore[arg-type]


def test_feed_state_is_frozen_and_next_state_leaves_it_alone() -> None:
    fs = FeedState(url="u", failures=1, health="failing")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fs.health = "ok"  # type: ignore[misc]
    before = dataclasses.replace(fs)
    after = next_state(fs, Failed(NOW, FetchError("timeout", "slow")), RULES)
    assert fs == before and after is not fs and after.failures == 2


def test_deferred_moves_the_next_poll_only() -> None:
    fs = FeedState(url="u", health="ok", failures=0)
    after = next_state(fs, Deferred(NOW, 120.0), RULES)
    assert after == dataclasses.replace(fs, next_poll_at=NOW + 120.0)
    # No Retry-After value: still at least a second, never a busy loop.
    assert next_state(fs, Deferred(NOW, None), RULES).next_poll_at == NOW + 1.0


def test_failures_back_off_then_disable() -> None:
    fs = FeedState(url="u", health="ok")
    err = FetchError("timeout", "slow")
    delays = []
    for n in (1, 2, 3):
        fs = next_state(fs, Failed(NOW, err, polled_at=f"t{n}"), RULES)
        delays.append(fs.next_poll_at - NOW)
        assert fs.failures == n and fs.last_polled == f"t{n}"
    assert delays == [600.0, 1200.0, 2400.0]  # doubling from the feed's interval
    assert fs.health == "disabled" and fs.last_error == "timeout: slow"
    ok = next_state(fs, answered(unchanged=True), RULES)
    assert ok.health == "ok" and ok.failures == 0 and ok.last_error == ""


def test_gone_disables_at_once_and_retry_after_is_a_capped_floor() -> None:
    fs = FeedState(url="u")
    assert next_state(fs, Failed(NOW, FetchError("gone", "410")), RULES).health == "disabled"
    slow = FetchError("rate_limited", "429", retry_after_s=5000.0)
    assert next_state(fs, Failed(NOW, slow), RULES).next_poll_at == NOW + 5000.0
    typo = FetchError("rate_limited", "429", retry_after_s=10 * MAX_RETRY_AFTER_S)
    assert next_state(fs, Failed(NOW, typo), RULES).next_poll_at == NOW + MAX_RETRY_AFTER_S


def test_a_broken_delta_stops_delta_requests() -> None:
    fs = FeedState(url="u")
    assert not next_state(fs, Failed(NOW, FetchError("bad_delta", "x")), RULES).delta_ok
    marked = FetchError("truncated", "x").with_delta()
    assert not next_state(fs, Failed(NOW, marked), RULES).delta_ok
    assert next_state(fs, Failed(NOW, FetchError("truncated", "x")), RULES).delta_ok


def test_unchanged_answer_keeps_validators_and_counts_verified_polls() -> None:
    fs = FeedState(url="u", etag='"e1"', polls_since_verify=2, body_hash="h")
    after = next_state(fs, answered(status=304, unchanged=True, etag='"e1"'), RULES)
    assert after.polls_since_verify == 3 and after.last_status == 304 and after.health == "ok"
    assert after.next_poll_at == NOW + after.interval_s and after.interval_s >= 600.0
    # A poll without validators (a verification) restarts the count.
    plain = next_state(fs, answered(unchanged=True, sent_validators=False), RULES)
    assert plain.polls_since_verify == 0


def test_changed_body_under_the_same_etag_distrusts_the_validators() -> None:
    fs = FeedState(url="u", etag='"e1"', body_hash="h", validators_trusted=True)
    liar = next_state(fs, answered(etag='"e1"', skipped={"no_url": 2}), RULES)
    assert not liar.validators_trusted and liar.skipped == {"no_url": 2}
    # Not yet scheduled: that waits for Kafka's acknowledgements.
    assert liar.next_poll_at == fs.next_poll_at and liar.etag == '"e1"'
    honest = next_state(fs, answered(etag='"e2"'), RULES)
    assert honest.validators_trusted
    # A delta is meant to differ from the body stored with its ETag: proves nothing.
    assert next_state(fs, answered(etag='"e1"', delta=True), RULES).validators_trusted


def test_redirect_and_delta_are_recorded() -> None:
    fs = FeedState(url="u", moved_to="https://old.example/f")
    after = next_state(fs, answered(moved_to="https://new.example/f", delta=True), RULES)
    assert after.moved_to == "https://new.example/f" and after.deltas == 1
    assert next_state(after, answered(), RULES).moved_to == "https://new.example/f"


def test_published_stores_validators_counts_and_adapts_the_interval() -> None:
    fs = FeedState(url="u", etag='"e1"', last_changed=NOW - 300.0, articles_published=4)
    done = Published(
        now=NOW,
        published=3,
        oversized=1,
        etag='"e2"',
        last_modified="Mon",
        body_hash="h2",
        hint_s=0.0,
        max_age_s=None,
        changed=True,
    )
    after = next_state(fs, done, RULES)
    assert (after.etag, after.last_modified, after.body_hash) == ('"e2"', "Mon", "h2")
    assert after.articles_published == 7 and after.articles_oversized == 1
    assert after.last_changed == NOW and after.change_period_s == 300.0
    assert 60.0 <= after.interval_s <= 600.0 and after.next_poll_at == NOW + after.interval_s


def test_publish_failure_and_requeue_keep_the_validators() -> None:
    fs = FeedState(url="u", etag='"e1"', body_hash="h1", health="ok")
    err = FetchError(FetchKind.PUBLISH_FAILED, "not acknowledged")
    failed = next_state(fs, Failed(NOW, err, published=2), RULES)
    assert failed.etag == '"e1"' and failed.body_hash == "h1" and failed.health == "failing"
    assert failed.articles_published == 2
    requeued = next_state(fs, Requeued(published=1, oversized=0), RULES)
    assert requeued == dataclasses.replace(fs, articles_published=1)
