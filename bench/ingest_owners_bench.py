"""Several poller processes sharing one feed list (``owners: true``), over local HTTP, published to
the real local Kafka.

The feeds are ``bench/ingest_bench.py``'s, served on ``--hosts`` listening ports (each
``127.0.0.1:<port>`` is a host of its own, so the owners' group can split the list by host). Each
poller is a spawned process with its own SQLite state, joined to the pollers' group; pass 1
starts once the group has given every poller its share. Between passes the server changes
``--changed`` of the feeds, as in ``ingest_bench.py``. Measured in each poller process: CPU
(``getrusage``), peak RSS, its state on disk; by the server: bytes and requests. At the end the
raw topic is read whole: an article published twice with the same id and version is counted.

    .venv/bin/python bench/ingest_owners_bench.py --feeds 20000 --pollers 2 --hosts 64
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest_bench import _baseline_apart, _get, serve  # noqa: E402  (the script's own folder)


def _usage() -> tuple[float, int, float]:
    """(CPU s, user and system; peak RSS MB; system CPU s): system time is mostly the threads'
    hand-offs of the GIL (futex calls), so it is reported apart."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss // 1024, ru.ru_stime


def _poller(
    i: int,
    urls: list[str],
    bootstrap: str,
    prefix: str,
    partitions: int,
    state_dir: str,
    mask: Any,
    go: list[Any],
    out: Any,
    session_timeout_ms: int,
    workers: int = 16,
    gil_switch_interval_s: float = 0.05,
) -> None:
    """One poller process: join the group, report its share in ``mask``, run each pass when
    its event is set, put each pass's figures on ``out``."""
    from diplowire.ingest.feeds import Feed
    from diplowire.ingest.ownership import Ownership
    from diplowire.ingest.poller import POLLER_PRODUCER, poll_once, tune_interpreter
    from diplowire.ingest.state import StateStore
    from diplowire.wire.loop import make_producer
    from diplowire.wire.settings import KafkaSettings, PollSettings

    kafka = KafkaSettings(bootstrap_servers=bootstrap, topic_prefix=prefix)
    settings = PollSettings(
        kafka=kafka,
        workers=workers,
        per_host_concurrency=16,
        per_host_min_spacing_s=0.0,
        save_every_s=10.0,
        allow_addresses=("127.0.0.1",),
        owners=True,
        owner_partitions=partitions,
        gil_switch_interval_s=gil_switch_interval_s,
    )
    tune_interpreter(settings)  # as the poll command does
    feeds = [Feed(url=u, name=f"Bench {n}") for n, u in enumerate(urls)]
    store = StateStore(state_dir)
    producer = make_producer(kafka, **POLLER_PRODUCER)
    owner = Ownership(
        kafka,
        producer,
        store,
        partitions=partitions,
        member=f"bench-{i}",
        session_timeout_ms=session_timeout_ms,
    )
    idle = threading.Event()
    try:
        for name, event in zip(("pass1", "pass2"), go[:2], strict=True):
            while not event.is_set():  # serve the group (hand-overs, marks) until told to go
                owner.wait(idle, 0.25, store.load())
                mask.value = sum(1 << p for p in owner.owned)
            cpu0, _, sys0 = _usage()
            t0 = time.perf_counter()
            report = poll_once(feeds, settings, producer, store, owner=owner)
            wall = time.perf_counter() - t0
            cpu1, rss, sys1 = _usage()
            out.put(
                (
                    i,
                    name,
                    {
                        "wall_s": round(wall, 2),
                        "cpu_s": round(cpu1 - cpu0, 2),
                        "sys_cpu_s": round(sys1 - sys0, 2),
                        "peak_rss_mb": rss,
                        "feeds_owned": sum(1 for f in feeds if owner.owns(f.url)),
                        "feeds_polled": report.feeds_polled,
                        "feeds_failed": report.feeds_failed,
                        "feeds_unchanged": report.feeds_unchanged,
                        "published": report.published,
                        "duplicates": report.duplicates,
                        "handovers": owner.stats.handovers,
                        "results_dropped": owner.stats.results_dropped,
                    },
                )
            )
        state = sum(p.stat().st_size for p in Path(state_dir).glob("poller-state.sqlite*"))
        out.put((i, "state", {"state_bytes": state}))
        # Leaving now would rebalance the group under a poller still in its pass 2.
        while not go[2].is_set():
            owner.wait(idle, 0.25, store.load())
    finally:
        owner.close(store.load())
        producer.close(timeout=30)


def _published_twice(kafka: Any, topic: str) -> tuple[int, int]:
    """(records in ``topic``, records whose (id, version) an earlier record had)."""
    import msgspec
    from kafka import KafkaConsumer, TopicPartition

    class _V(msgspec.Struct):
        version: int

    dec = msgspec.json.Decoder(_V)
    consumer = KafkaConsumer(
        **kafka.client_config(),
        enable_auto_commit=False,
        group_id=None,
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or set()]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        seen: Counter[tuple[bytes, int]] = Counter()
        n = 0
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            for batch in consumer.poll(timeout_ms=1000).values():
                for r in batch:
                    seen[(r.key, dec.decode(r.value).version)] += 1
                    n += 1
        return n, sum(c - 1 for c in seen.values())
    finally:
        consumer.close()


def _wait_for_shares(masks: list[Any], partitions: int, timeout_s: float) -> list[set[int]]:
    """The pollers' shares once they are disjoint, cover every partition and held for 3 s."""
    deadline = time.monotonic() + timeout_s
    stable_since, last = 0.0, None
    while time.monotonic() < deadline:
        shares = [{p for p in range(partitions) if m.value >> p & 1} for m in masks]
        ok = (
            all(shares)
            and sum(map(len, shares)) == partitions
            and set().union(*shares) == set(range(partitions))
        )
        if ok and shares == last:
            if time.monotonic() - stable_since > 3:
                return shares
        else:
            stable_since = time.monotonic()
        last = shares if ok else None
        time.sleep(0.25)
    raise SystemExit(f"the pollers' shares did not settle within {timeout_s:.0f} s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--feeds", type=int, default=2000)
    ap.add_argument("--pollers", type=int, default=2)
    ap.add_argument("--hosts", type=int, default=64, help="listening ports = hosts")
    ap.add_argument("--partitions", type=int, default=12, help="owner_partitions")
    ap.add_argument("--changed", type=float, default=0.1, help="share of feeds changed for pass 2")
    ap.add_argument("--bootstrap", default="127.0.0.1:9092")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument(
        "--session-timeout-ms",
        type=int,
        default=10_000,
        help="the owners' group session timeout (the poller's is 10 s); on a machine so "
        "oversubscribed that a poller's heartbeats come late, a member evicted mid-pass starts "
        "a rebalance",
    )
    ap.add_argument("--workers", type=int, default=16, help="fetch threads per poller")
    ap.add_argument(
        "--gil-switch-interval",
        type=float,
        default=0.05,
        help="the pollers' gil_switch_interval_s (0: Python's 5 ms)",
    )
    ap.add_argument(
        "--baseline", action="store_true", help="plain feedparser.parse of pass 1's bodies, once"
    )
    args = ap.parse_args(argv)

    from diplowire.wire.admin import ensure_topics, open_admin
    from diplowire.wire.settings import KafkaSettings

    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    server = ctx.Process(
        target=serve,
        args=(q, args.feeds, args.changed, args.seed, False, args.hosts),
        daemon=True,
    )
    server.start()
    ports = q.get(timeout=300)
    base = f"http://127.0.0.1:{ports[0]}"
    urls = [f"http://127.0.0.1:{ports[i % len(ports)]}/feed/{i}.xml" for i in range(args.feeds)]
    kafka = KafkaSettings(
        bootstrap_servers=args.bootstrap, topic_prefix=f"bench{uuid.uuid4().hex[:8]}"
    )
    created: list[str] = []
    procs: list[Any] = []
    tmp = ""
    try:
        baseline: dict[str, Any] = {}
        ensure_topics(kafka)
        created = [kafka.topics.raw, kafka.topics.enriched, kafka.topics.deadletter]
        created.append(kafka.topics.feed_state)
        import tempfile

        tmp = tempfile.mkdtemp(prefix="owners-bench-")
        masks = [ctx.Value("q", 0) for _ in range(args.pollers)]
        go = [ctx.Event(), ctx.Event(), ctx.Event()]  # pass 1, pass 2, leave the group
        out = ctx.Queue()
        procs = [
            ctx.Process(
                target=_poller,
                args=(
                    i,
                    urls,
                    args.bootstrap,
                    kafka.topic_prefix,
                    args.partitions,
                    f"{tmp}/poller-{i}",
                    masks[i],
                    go,
                    out,
                    args.session_timeout_ms,
                    args.workers,
                    args.gil_switch_interval,
                ),
            )
            for i in range(args.pollers)
        ]
        for p in procs:
            p.start()
        shares = _wait_for_shares(masks, args.partitions, 180)
        print("shares (partitions per poller):", [sorted(s) for s in shares], flush=True)
        results: dict[str, dict[int, dict[str, Any]]] = {"pass1": {}, "pass2": {}, "state": {}}
        for n, name in enumerate(("pass1", "pass2")):
            t0 = time.perf_counter()
            go[n].set()
            while len(results[name]) < args.pollers:
                i, which, figures = out.get(timeout=7200)
                results[which][i] = figures
                print(which, i, json.dumps(figures), flush=True)
            wall = time.perf_counter() - t0
            served = _get(f"{base}/_stats")
            print(f"{name}: wall {wall:.1f} s, served {json.dumps(served)}", flush=True)
            results[name][-1] = {"wall_s": round(wall, 1), **served}
            if name == "pass1":
                _get(f"{base}/_advance")  # resets the counters
        while len(results["state"]) < args.pollers:
            i, which, figures = out.get(timeout=600)
            results[which][i] = figures
        go[2].set()
        for p in procs:
            p.join(timeout=120)
        print("state bytes per poller:", [results["state"][i] for i in range(args.pollers)])
        total, twice = _published_twice(kafka, kafka.topics.raw)
        pub = sum(
            results[p][i]["published"] for p in ("pass1", "pass2") for i in range(args.pollers)
        )
        print(f"{kafka.topics.raw}: {total} records (reported published {pub}), {twice} twice")
        if args.baseline:
            # Once, after the pollers exited (at 20,000 feeds it costs ~half a pass 1), on
            # pass 1's bodies (the server keeps them, ``?pass1``).
            baseline = _baseline_apart([f"{u}?pass1" for u in urls], ("parse_cpu_s",))
            print("baseline after the passes", json.dumps(baseline), flush=True)
        p1 = results["pass1"]
        cpu = sum(p1[i]["cpu_s"] for i in range(args.pollers))
        print(f"pass 1 CPU: {cpu:.1f} s in all, {1000 * cpu / args.feeds:.1f} ms per feed")
        if baseline:
            b = baseline["parse_cpu_s"]
            print(f"pass-1 CPU / plain feedparser.parse ({b:.2f} s): {cpu / b:.2f}x")
        republished = sum(results["pass2"][i]["published"] for i in range(args.pollers))
        changed = int(args.feeds * args.changed)
        print(f"pass 2 published {republished} for {changed} changed feeds (2 new items each)")
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
        server.terminate()
        if tmp:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)  # the pollers' state: 100s of MB at 20,000
        if created:
            admin = open_admin(kafka)
            try:
                admin.delete_topics(created)
            finally:
                admin.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
