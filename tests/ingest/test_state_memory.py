"""The seen set stays in SQLite: loading the state reads the feeds only, and the poller holds the
rows of one feed at a time (ingest/statetable.py). The RSS this saves at 20,000 feeds is measured
in bench/ingest.md; here, Python's own allocations (tracemalloc)."""

from __future__ import annotations

import sqlite3
import tracemalloc
from pathlib import Path

from diplowire.ingest.state import FeedState, PollerState, Seen, StateStore

FEEDS, PER_FEED = 200, 40


def _fill(directory: Path) -> PollerState:
    state = PollerState()
    for f in range(FEEDS):
        url = f"https://feeds.example.org/{f}.xml"
        state.set_feed(url, FeedState(url=url, etag=f'"{f}"'))
        ids = [f"{f:04d}-article-{i:03d}-{'x' * 24}" for i in range(PER_FEED)]
        for i, aid in enumerate(ids):
            state.set_seen(aid, Seen(aid[:20], 1, 1000.0 + i, aid[-8:], url), f"{url}#{i}")
        state.set_items(url, ids)
    StateStore(directory).save(state)
    return state


def _peak(fn):  # type: ignore[no-untyped-def]
    tracemalloc.start()
    try:
        out = fn()
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_load_reads_feeds_only_and_a_feed_rows_are_read_and_released(tmp_path: Path) -> None:
    written = _fill(tmp_path)
    state, new_peak = _peak(lambda: StateStore(tmp_path).load())

    def whole() -> dict[str, Seen]:
        # What the store did before: every seen row into memory at load.
        db = sqlite3.connect(tmp_path / "poller-state.sqlite")
        rows = db.execute("SELECT id, feed, hash, version, last_seen, title_key, gone_at FROM seen")
        out = {r[0]: Seen(r[2], r[3], r[4], r[5], r[1], r[6]) for r in rows}
        db.close()
        return out

    everything, whole_peak = _peak(whole)
    assert len(everything) == FEEDS * PER_FEED
    assert new_peak < whole_peak / 5, (new_peak, whole_peak)
    assert len(state.feeds) == FEEDS and not state.seen.pending and not state.seen.cache

    # The poller's per-feed read: one feed's ids and GUIDs, absent ones remembered as absent.
    url = "https://feeds.example.org/7.xml"
    ids = state.items[url]
    keys = [f"{url}#{i}" for i in range(PER_FEED)]
    state.prefetch([*ids, "not-seen-yet"], [*keys, "unknown-guid"])
    assert set(state.seen.cache) == {*ids, "not-seen-yet"}
    assert state.seen.cache["not-seen-yet"] is None and state.guids.cache["unknown-guid"] is None
    assert state.seen.get(ids[3]) == written.seen[ids[3]] == everything[ids[3]]
    assert state.guids.get(keys[3]) == ids[3]
    state.release()
    assert state.seen.cache == {} and state.guids.cache == {}
    # Reads outside a prefetch go to the database; writes wait for the next save.
    assert state.seen[ids[5]] == everything[ids[5]] and "nowhere" not in state.seen
    state.set_seen("new", Seen("h", 1, 2.0, "t", url), "g-new")
    assert state.seen.pending.keys() == {"new"} and len(state.seen) == FEEDS * PER_FEED + 1
    StateStore(tmp_path).save(state)
    assert not state.seen.pending and StateStore(tmp_path).load().seen["new"].content_hash == "h"
