"""Fuzzing of a feed's own polling hints (``ttl``, ``sy:updatePeriod``/``sy:updateFrequency``):
whatever text a channel carries, the hint is a finite number of seconds, never an exception."""

from __future__ import annotations

import math

from hypothesis import example, given
from hypothesis import strategies as st

from diplowire.ingest import schedule

numbers = st.one_of(
    st.integers(-5, 10**12).map(str),
    st.sampled_from(["", " 5 ", "²", "١٢", "1e3", "0", "9" * 5000]),
    st.text(max_size=8),
)
metas = st.fixed_dictionaries(
    {},
    optional={
        "ttl": numbers,
        "sy_updateperiod": st.one_of(
            st.sampled_from(["hourly", " Daily ", "weekly", "monthly", "yearly"]), st.text()
        ),
        "sy_updatefrequency": numbers,
    },
)


@given(metas)
@example({"ttl": "²"})  # found by fuzzing: isdigit() passes it, int() refuses it
@example({"ttl": "9" * 5000})  # over int()'s 4300-digit limit
@example({"sy_updateperiod": "daily", "sy_updatefrequency": "²"})
def test_a_feed_hint_is_a_finite_number_of_seconds(meta: dict[str, str]) -> None:
    hint = schedule.feed_hint_s(meta)
    assert math.isfinite(hint) and hint >= 0


def test_odd_numbers_are_ignored_and_plain_ones_read() -> None:
    assert schedule.feed_hint_s({"ttl": "²"}) == 0
    assert schedule.feed_hint_s({"ttl": "9" * 5000}) == 0
    assert schedule.feed_hint_s({"ttl": " 90 "}) == 90 * 60
    assert schedule.feed_hint_s({"sy_updateperiod": "daily", "sy_updatefrequency": "١٢"}) == 7200
    assert schedule.feed_hint_s({"sy_updateperiod": "daily", "sy_updatefrequency": "0"}) == 86400
    assert schedule.feed_hint_s({"sy_updateperiod": "daily", "sy_updatefrequency": "2"}) == 43200
