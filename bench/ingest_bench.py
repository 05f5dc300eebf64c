"""Poller benchmark: 2,000 feeds over local HTTP, published to the real local Kafka.

Feeds are built from the real items of ``data/sample-feeds`` (links and GUIDs varied per feed, so
every item is a distinct article) and served from memory by a server in a separate process, with
ETag/Last-Modified and gzip. Pass 1 polls every feed with no state (all fresh). Between passes the
server changes ``--changed`` of the feeds (two new items each); pass 2 then polls every feed again
with validators: most answer 304. Bytes are counted by the server (headers and bodies).
With ``--delta`` the server also honours RFC 3229 feed deltas: a changed feed asked with
``A-IM: feed`` and its previous ETag answers ``226 IM Used`` with only its new items.

    .venv/bin/python bench/ingest_bench.py            # needs `diplowire stack up`
    .venv/bin/python bench/ingest_bench.py --delta    # the server serves feed deltas
"""

from __future__ import annotations

import argparse
import email.utils
import gzip
import hashlib
import html
import json
import multiprocessing as mp
import os
import random
import resource
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAMPLES = ROOT / "data" / "sample-feeds"


def real_items() -> list[dict[str, str]]:
    import feedparser

    items = []
    for path in sorted(SAMPLES.glob("*.xml")):
        parsed = feedparser.parse(path.read_bytes())
        for e in parsed.entries:
            content = (e.get("content") or [{}])[0].get("value") or ""
            items.append(
                {
                    "title": e.get("title", ""),
                    "link": e.get("link", ""),
                    "description": max(content, e.get("summary", ""), key=len),
                    "pubDate": e.get("published") or e.get("updated") or "",
                    "author": e.get("author", ""),
                }
            )
    return items


def _vary(link: str, feed: int, n: int) -> str:
    parts = urlsplit(link)
    return urlunsplit((parts.scheme, parts.netloc, f"/b{feed}/{n}{parts.path}", parts.query, ""))


def render(feed: int, items: list[dict[str, str]], picks: list[int]) -> bytes:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>Bench feed {feed}</title><link>https://bench.invalid/{feed}</link>"
        "<description>built from real items</description><language>en</language>"
    ]
    for n in picks:
        it = items[n % len(items)]
        link = _vary(it["link"], feed, n)
        out.append(
            f"<item><title>{html.escape(it['title'])}</title><link>{html.escape(link)}</link>"
            f'<guid isPermaLink="true">{html.escape(link)}</guid>'
            f"<pubDate>{html.escape(it['pubDate'])}</pubDate>"
            f"<dc:creator>{html.escape(it['author'])}</dc:creator>"
            f"<description>{html.escape(it['description'])}</description></item>"
        )
    out.append("</channel></rss>\n")
    return "".join(out).encode("utf-8")


class _Store:
    def __init__(self, feeds: int, changed: float, seed: int) -> None:
        rng = random.Random(seed)
        items = real_items()
        self.pool = len(items)
        self.items = items
        self.docs: dict[str, tuple[bytes, bytes, str, str]] = {}
        self.deltas: dict[str, tuple[str, bytes, bytes]] = {}
        """path -> (previous ETag, feed of the items added since it, the same gzipped)."""
        self.picks: dict[int, list[int]] = {}
        for i in range(feeds):
            k = rng.randint(20, 50)
            self.picks[i] = sorted(rng.sample(range(self.pool * 3), k))
            self._set(i)
        self.changed = rng.sample(range(feeds), int(feeds * changed))
        self.pass1 = self.docs
        self.bytes_sent = 0
        self.requests = 0
        self.lock = threading.Lock()

    def _set(self, i: int) -> None:
        body = render(i, self.items, self.picks[i])
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        lm = email.utils.formatdate(time.time(), usegmt=True)
        self.docs[f"/feed/{i}.xml"] = (body, gzip.compress(body, 6), etag, lm)

    def advance(self) -> None:
        # Pass 1's documents stay readable (``?pass1``) for a baseline taken after pass 2.
        self.pass1 = dict(self.docs)
        for i in self.changed:
            top = max(self.picks[i])
            self.picks[i] = [*self.picks[i][2:], top + 1, top + 2]
            path = f"/feed/{i}.xml"
            previous = self.docs[path][2]
            self._set(i)
            new = render(i, self.items, [top + 1, top + 2])
            self.deltas[path] = (previous, new, gzip.compress(new, 6))


def serve(
    port_q: Any, feeds: int, changed: float, seed: int, delta: bool = False, hosts: int = 1
) -> None:
    """Serve the feeds until terminated; puts the listening ports on ``port_q``. With ``hosts``
    > 1, as many listening ports (each ``127.0.0.1:<port>`` is a host of its own to the poller's
    politeness and to the owners' partitioning), all serving the same feeds."""
    store = _Store(feeds, changed, seed)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a: Any) -> None:
            pass

        def _send(self, code: int, headers: dict[str, str], body: bytes = b"") -> None:
            self.send_response(code)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            # Status line, Server, Date and Content-Length take about 120 bytes.
            head = 120 + sum(len(k) + len(v) + 4 for k, v in headers.items())
            with store.lock:
                store.bytes_sent += len(body) + head
                store.requests += 1

        def do_GET(self) -> None:
            if self.path == "/_advance":
                store.advance()
                self._send(200, {}, b"ok")
                store.bytes_sent = store.requests = 0  # after our own reply: not counted
                return None
            if self.path == "/_reset":  # the baseline's own fetches are not counted
                self._send(200, {}, b"ok")
                store.bytes_sent = store.requests = 0
                return None
            if self.path == "/_stats":
                stats = json.dumps({"bytes": store.bytes_sent, "requests": store.requests})
                return self._send(200, {}, stats.encode())
            path, _, query = self.path.partition("?")
            doc = (store.pass1 if query == "pass1" else store.docs).get(path)
            if doc is None:
                return self._send(404, {})
            body, gz, etag, lm = doc
            inm = self.headers.get("If-None-Match")
            if inm == etag:
                return self._send(304, {"ETag": etag, "Last-Modified": lm})
            headers = {"Content-Type": "application/rss+xml", "ETag": etag, "Last-Modified": lm}
            asked = [t.strip().lower() for t in (self.headers.get("A-IM") or "").split(",")]
            since = store.deltas.get(self.path)
            if delta and "feed" in asked and since is not None and inm == since[0]:
                headers["IM"] = "feed"
                if "gzip" in (self.headers.get("Accept-Encoding") or ""):
                    headers["Content-Encoding"] = "gzip"
                    return self._send(226, headers, since[2])
                return self._send(226, headers, since[1])
            if "gzip" in (self.headers.get("Accept-Encoding") or ""):
                headers["Content-Encoding"] = "gzip"
                return self._send(200, headers, gz)
            return self._send(200, headers, body)

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256

    servers = [Server(("127.0.0.1", 0), Handler) for _ in range(hosts)]
    for extra in servers[1:]:
        threading.Thread(target=extra.serve_forever, daemon=True).start()
    port_q.put([srv.server_address[1] for srv in servers])
    servers[0].serve_forever()


def _rusage(pool: Any = None) -> tuple[float, int, float, int]:
    """(our CPU s, our peak RSS MB, parse processes' CPU s, their summed peak RSS MB)."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    child_cpu, child_rss = 0.0, 0
    for pid in getattr(pool, "_processes", None) or {}:
        # Live pool processes are not in RUSAGE_CHILDREN until reaped: read /proc instead.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        child_cpu += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                child_rss += int(line.split()[1]) // 1024
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss // 1024, child_cpu, child_rss


def _get(url: str) -> dict[str, int]:
    with urlopen(url, timeout=30) as r:
        data: dict[str, int] = json.loads(r.read() or b"{}") if "stats" in url else {}
        return data


def _baseline(urls: list[str], variants: tuple[str, ...]) -> dict[str, Any]:
    """Plain ``feedparser.parse`` of every pass-1 body, one after the other: what the poller's
    CPU is compared with. ``parse_cpu_s``: feedparser's defaults; ``parse_plain_cpu_s``: without
    sanitising and URI resolution, as the poller calls it. Run in a spawned process (see
    ``_baseline_apart``); the bodies are fetched first (no Accept-Encoding: as the server holds
    them), not timed."""
    import feedparser

    bodies = []
    for url in urls:
        with urlopen(url, timeout=30) as r:
            bodies.append(r.read())
    kwargs = {
        "parse_cpu_s": {},
        "parse_plain_cpu_s": {"sanitize_html": False, "resolve_relative_uris": False},
    }
    out: dict[str, Any] = {"feeds": len(bodies), "bytes": sum(map(len, bodies))}
    for name in variants:
        t0 = time.process_time()
        for b in bodies:
            feedparser.parse(b, **kwargs[name])
        out[name] = round(time.process_time() - t0, 2)
    return out


def _baseline_apart(urls: list[str], variants: tuple[str, ...]) -> dict[str, Any]:
    """``_baseline`` in a process of its own: the 66 MB of bodies it holds stay out of the
    poller process's peak RSS, and its CPU out of the poller's."""
    with mp.get_context("spawn").Pool(1) as p:
        out: dict[str, Any] = p.apply(_baseline, (urls, variants))
    return out


class _ThreadProfiles:
    """cProfile of the calling thread and of every thread started while active (the pass's
    fetch threads): ``cProfile.enable`` covers its own thread only. The Kafka producer's
    sender thread, started before, is not in it."""

    def __init__(self) -> None:
        import cProfile

        # Each thread's own CPU time: with the default (wall) timer a thread waiting for the GIL
        # would be charged for the time the others ran.
        self._new = lambda: cProfile.Profile(time.thread_time)
        self.profiles = [self._new()]
        self._lock = threading.Lock()

    def _start(self, *_: Any) -> None:
        # threading's profile hook: called at a new thread's first event; the profiler enabled
        # here then replaces it for that thread.
        prof = self._new()
        with self._lock:
            self.profiles.append(prof)
        prof.enable()

    def __enter__(self) -> _ThreadProfiles:
        threading.setprofile(self._start)
        self.profiles[0].enable()
        return self

    def __exit__(self, *exc: object) -> None:
        self.profiles[0].disable()
        threading.setprofile(None)

    def dump(self, path: str) -> None:
        import pstats

        pstats.Stats(*self.profiles).dump_stats(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--feeds", type=int, default=2000)
    ap.add_argument("--changed", type=float, default=0.1, help="share of feeds changed for pass 2")
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument(
        "--gil-switch-interval",
        type=float,
        default=0.05,
        help="the poller's gil_switch_interval_s (0: Python's 5 ms)",
    )
    ap.add_argument("--per-host", type=int, default=16, help="per-host concurrency limit")
    ap.add_argument("--spacing", type=float, default=0.0, help="per-host min spacing (s)")
    ap.add_argument("--bootstrap", default="127.0.0.1:9092")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--parse-processes", type=int, default=0, help="0: parse in the threads")
    ap.add_argument(
        "--delta",
        action="store_true",
        help="the server answers A-IM: feed with 226 IM Used and only the new items",
    )
    ap.add_argument(
        "--profile",
        help="cProfile pass 1 (this thread and the fetch threads) into this file (pstats) and "
        "print its top; cProfile's own cost inflates feedparser's many small calls, see "
        "bench/ingest.md for a sampling profile",
    )
    ap.add_argument(
        "--no-baseline", action="store_true", help="skip the same-run plain feedparser baseline"
    )
    args = ap.parse_args(argv)

    from diplowire.ingest.feeds import Feed
    from diplowire.ingest.poller import POLLER_PRODUCER, poll_once, tune_interpreter
    from diplowire.ingest.state import FileStateStore
    from diplowire.wire.admin import ensure_topics
    from diplowire.wire.loop import make_producer
    from diplowire.wire.settings import KafkaSettings, PollSettings

    ctx = mp.get_context("spawn")  # the server process shares nothing with us
    q = ctx.Queue()
    server = ctx.Process(
        target=serve, args=(q, args.feeds, args.changed, args.seed, args.delta), daemon=True
    )
    server.start()
    port = q.get(timeout=120)[0]
    base = f"http://127.0.0.1:{port}"
    kafka = KafkaSettings(
        bootstrap_servers=args.bootstrap, topic_prefix=f"bench{uuid.uuid4().hex[:8]}"
    )
    ensure_topics(kafka)
    settings = PollSettings(
        kafka=kafka,
        workers=args.workers,
        per_host_concurrency=args.per_host,
        per_host_min_spacing_s=args.spacing,
        save_every_s=10.0,
        allow_addresses=("127.0.0.1",),  # the bench server is local: allowed explicitly
        gil_switch_interval_s=args.gil_switch_interval,
    )
    tune_interpreter(settings)  # as the poll command does
    feeds = [Feed(url=f"{base}/feed/{i}.xml", name=f"Bench {i}") for i in range(args.feeds)]
    results: dict[str, dict[str, Any]] = {}
    baseline: dict[str, Any] = {}
    urls = [f.url for f in feeds]
    if not args.no_baseline:
        # Same run, same bytes as pass 1, one feed after the other: once before pass 1 and
        # once after, so that the machine's load drifting during the run moves both sides.
        baseline["before"] = _baseline_apart(urls, ("parse_cpu_s",))
        _get(f"{base}/_reset")
        print("baseline before pass 1", json.dumps(baseline["before"]), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        store = FileStateStore(tmp)
        producer = make_producer(kafka, **POLLER_PRODUCER)
        pool = None
        if args.parse_processes:
            pool = ProcessPoolExecutor(args.parse_processes, mp_context=mp.get_context("spawn"))
        try:
            for name in ("pass1", "pass2"):
                cpu0, _, ccpu0, _ = _rusage(pool)
                t0 = time.perf_counter()
                if args.profile and name == "pass1":
                    with _ThreadProfiles() as profiles:
                        report = poll_once(feeds, settings, producer, store, parse_pool=pool)
                    profiles.dump(args.profile)
                else:
                    report = poll_once(feeds, settings, producer, store, parse_pool=pool)
                wall = time.perf_counter() - t0
                cpu1, rss, ccpu1, crss = _rusage(pool)
                served = _get(f"{base}/_stats")
                if name == "pass1":
                    if baseline:
                        # The server changes nothing before _advance: the same bytes.
                        variants = ("parse_cpu_s", "parse_plain_cpu_s")
                        baseline["after"] = _baseline_apart(urls, variants)
                        print("baseline after pass 1", json.dumps(baseline["after"]), flush=True)
                    _get(f"{base}/_advance")  # resets counters; pass 2 changes nothing more
                results[name] = {
                    "wall_s": round(wall, 2),
                    "cpu_s": round(cpu1 - cpu0, 2),
                    "peak_rss_mb": rss,
                    "parse_procs_cpu_s": round(ccpu1 - ccpu0, 2),
                    "parse_procs_peak_rss_mb": crss,
                    "requests": served["requests"],
                    "requests_per_s": round(served["requests"] / wall, 1),
                    "bytes_served": served["bytes"],
                    "feeds_polled": report.feeds_polled,
                    "feeds_failed": report.feeds_failed,
                    "feeds_unchanged": report.feeds_unchanged,
                    "feeds_delta": report.feeds_delta,
                    "entries": report.entries,
                    "published": report.published,
                    "duplicates": report.duplicates,
                    "failures": report.failures,
                }
                print(name, json.dumps(results[name]), flush=True)
            # The SQLite database and its write-ahead log (not yet checkpointed into it).
            state_bytes = sum(p.stat().st_size for p in store.dir.glob("poller-state.sqlite*"))
        finally:
            producer.close(timeout=30)
            server.terminate()
            if pool is not None:
                pool.shutdown()
    from kafkacount import topic_size  # bench/kafkacount.py: the script's own folder is on sys.path

    in_topic = topic_size(kafka, kafka.topics.raw)
    reported = results["pass1"]["published"] + results["pass2"]["published"]
    print(f"messages in {kafka.topics.raw}: {in_topic} (reported published: {reported})")
    ratio = results["pass2"]["bytes_served"] / max(1, results["pass1"]["bytes_served"])
    print(f"state file: {state_bytes} bytes; pass2/pass1 bytes: {ratio:.2%}")
    if baseline:
        # The poller's CPU with its parse processes' (--parse-processes): all it costs.
        cpu = results["pass1"]["cpu_s"] + results["pass1"]["parse_procs_cpu_s"]
        runs = [baseline[k]["parse_cpu_s"] for k in ("before", "after")]
        mean = sum(runs) / len(runs)
        each = ", ".join(f"{cpu / r:.2f}x" for r in runs)
        print(
            f"pass-1 CPU {cpu:.2f} s / plain feedparser.parse {mean:.2f} s (mean of "
            f"{runs[0]:.2f} before and {runs[1]:.2f} after): {cpu / mean:.2f}x ({each})"
        )
    if args.profile:
        import pstats

        pstats.Stats(args.profile).sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
