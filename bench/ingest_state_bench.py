"""The poller's SQLite state at scale: size on disk, load time, and the cost of one feed's save.

Synthetic state shaped like the bench's feeds (35 articles a feed): no network, no Kafka.

    .venv/bin/python bench/ingest_state_bench.py 2000 20000
"""

from __future__ import annotations

import hashlib
import resource
import sys
import tempfile
import time
from pathlib import Path

from diplowire.ingest.state import FeedState, PollerState, Seen, StateStore

ITEMS_PER_FEED = 35


def _state(feeds: int) -> PollerState:
    state = PollerState()
    now = time.time()
    for f in range(feeds):
        url = f"http://host{f % 500}.example.org/feed/{f}.xml"
        state.feeds[url] = FeedState(
            url=url, etag=f'"{f:08x}"', health="ok", body_hash=f"{f:020x}", interval_s=900.0
        )
        ids = []
        for i in range(ITEMS_PER_FEED):
            aid = hashlib.sha256(f"{url}#{i}".encode()).hexdigest()[:32]
            ids.append(aid)
            state.seen[aid] = Seen(aid[:20], 1, now, aid[:8], url)
            state.guids[f"{url}#{i}"] = aid
        state.items[url] = ids
    return state


def run(feeds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        state = _state(feeds)
        t = time.perf_counter()
        first = StateStore(tmp)
        first.save(state)
        full_s = time.perf_counter() - t
        first.close()  # the last connection's close checkpoints the WAL into the database
        size = sum(p.stat().st_size for p in Path(tmp).iterdir())
        store = StateStore(tmp)
        t = time.perf_counter()
        loaded = store.load()
        load_s = time.perf_counter() - t
        # One feed polled: its state, 5 new articles, and what it carries now.
        url = next(iter(loaded.feeds))
        times = []
        for n in range(20):
            t = time.perf_counter()
            loaded.set_feed(url, FeedState(url=url, etag=f'"{n}"'))
            for i in range(5):
                aid = f"new-{n}-{i}"
                loaded.set_seen(aid, Seen("h", 1, time.time(), "t", url), f"g-{n}-{i}")
            loaded.set_items(url, [*loaded.items[url][5:], *(f"new-{n}-{i}" for i in range(5))])
            store.save(loaded)
            times.append(time.perf_counter() - t)
        t = time.perf_counter()
        store.prune(loaded, list(loaded.feeds))
        prune_s = time.perf_counter() - t
        return {
            "feeds": feeds,
            "articles": len(loaded.seen),
            "disk_mb": size / 1e6,
            "full_write_s": full_s,
            "load_s": load_s,
            "feed_save_ms": 1000 * sorted(times)[len(times) // 2],
            "prune_s": prune_s,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }


if __name__ == "__main__":
    for n in [int(a) for a in sys.argv[1:]] or [2000]:
        r = run(n)
        print(
            f"{r['feeds']:>6} feeds, {r['articles']:>7} articles: {r['disk_mb']:.1f} MB on disk, "
            f"written whole in {r['full_write_s']:.2f} s, loaded in {r['load_s']:.2f} s; "
            f"one feed's save {r['feed_save_ms']:.2f} ms (median of 20); "
            f"prune {r['prune_s']:.2f} s; peak RSS {r['peak_rss_mb']:.0f} MB"
        )
