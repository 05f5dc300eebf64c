"""Throughput and peak memory of the enrich stage beside a naive spaCy baseline, in one run.

Articles of ~500 words, French and English mixed, are built by concatenating real texts of the
labelled sets (``eval/data/*.jsonl``: published articles and real feed items); nothing is invented.
Each side runs in its own child process so its peak RSS is its own:

- ``ours``: ``enrich.pipeline.enrich_batch`` on batches (language detection, spaCy without the
  parser through ``nlp.pipe``, the KB matcher and the diplomatic analysis), in one process;
- ``ours xN processes``: N such processes over 1/N of the articles each, as N enrich consumers of
  one consumer group (``diplowire enrich --processes N``); they start together once all have
  loaded, and the wall time runs until the last one is done.
- ``naive``: one ``nlp(text)`` call per article with the full default pipeline (parser included),
  language known in advance, no diplomatic analysis at all.

    .venv/bin/python bench/enrich_throughput.py [--articles 300] [--batch 64] [--workers 2]

CPU seconds are reported beside wall time: on a shared machine the wall-clock figures depend on
what else runs (the 1-minute load average before and after the run is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from itertools import cycle
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from diplowire.wire.article import Article

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = ROOT / "eval" / "data"
WORDS = 500


def build_articles(n: int) -> list[tuple[str, str, str]]:
    """(lang, title, text) of about WORDS words each, alternating French and English."""
    pools: dict[str, list[dict[str, Any]]] = {"fr": [], "en": []}
    for path in sorted(DATA.glob("diplomatic-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            pools.setdefault(item["lang"], []).append(item)
    streams = {lang: cycle(items) for lang, items in pools.items() if items}
    out = []
    for i in range(n):
        lang = "fr" if i % 2 == 0 else "en"
        stream = streams[lang]
        first = next(stream)
        paras = [first["text"]]
        words = len(first["text"].split())
        # Offset each article's start so consecutive articles are not the same text.
        for _ in range(i % 5):
            next(stream)
        while words < WORDS:
            item = next(stream)
            paras.append(f"{item['title']}\n\n{item['text']}")
            words += len(paras[-1].split())
        out.append((lang, first["title"], "\n\n".join(paras)))
    return out


def bench_article(article_id: str, n: int, lang: str, title: str, text: str) -> Article:
    """A raw article as the poller would publish it (fixed dates, a hint of ``lang``)."""
    from diplowire.wire.article import Article, Source, Timestamps

    return Article(
        schema_version=1,
        id=article_id,
        version=1,
        url=f"https://example.invalid/{n}",
        canonical_url=f"https://example.invalid/{n}",
        title=title,
        text=text,
        published="2025-01-01T00:00:00Z",
        published_from="published",
        source=Source(name="bench", feed_url="https://example.invalid/feed", lang_hint=lang),
        timestamps=Timestamps(fetched="2025-01-01T00:00:00Z"),
    )


def _cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ours(
    n: int, batch: int, n_process: int, part: int, parts: int, sync: bool = False
) -> dict[str, Any]:
    from diplowire.enrich import nlp
    from diplowire.enrich.pipeline import enrich_batch

    texts = build_articles(n)
    articles = [
        bench_article(f"bench-{i}", i, lang, title, text)
        for i, (lang, title, text) in enumerate(texts)
    ]
    t0 = time.perf_counter()
    nlp.load("fr")
    nlp.load("en")
    enrich_batch(articles[:4])  # warm-up: lingua models, first-call caches
    load_s = time.perf_counter() - t0
    articles = articles[part::parts]
    if sync:  # several workers: all start processing together, once all have loaded
        print("ready", flush=True)
        sys.stdin.readline()
    t0, c0 = time.perf_counter(), _cpu_s()
    done = 0
    for k in range(0, len(articles), batch):
        done += len(enrich_batch(articles[k : k + batch], n_process=n_process))
    elapsed, cpu = time.perf_counter() - t0, _cpu_s() - c0
    return _result("ours", done, elapsed, cpu, load_s, texts)


def run_naive(n: int) -> dict[str, Any]:
    import spacy

    from diplowire.enrich.nlp import MODELS

    texts = build_articles(n)
    t0 = time.perf_counter()
    pipes = {lang: spacy.load(name) for lang, name in MODELS.items()}
    for lang, title, text in texts[:4]:
        pipes[lang](f"{title}\n\n{text}")
    load_s = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), _cpu_s()
    for lang, title, text in texts:
        pipes[lang](f"{title}\n\n{text}")
    elapsed, cpu = time.perf_counter() - t0, _cpu_s() - c0
    return _result("naive", len(texts), elapsed, cpu, load_s, texts)


def _result(
    name: str,
    done: int,
    elapsed: float,
    cpu: float,
    load_s: float,
    texts: list[tuple[str, str, str]],
) -> dict[str, Any]:
    words = sum(len(t.split()) + len(title.split()) for _, title, t in texts)
    return {
        "side": name,
        "articles": done,
        "mean_words": round(words / len(texts)),
        "seconds": round(elapsed, 2),
        "articles_per_s": round(done / elapsed, 1),
        "articles_per_cpu_s": round(done / cpu, 1),
        "cpu_s": round(cpu, 2),
        "load_s": round(load_s, 1),
        "peak_rss_mb": round(_peak_rss_mb()),
    }


def _child(side: str, args: argparse.Namespace, part: int = 0, parts: int = 1) -> list[str]:
    cmd = [sys.executable, __file__, "--side", side, "--articles", str(args.articles)]
    cmd += ["--batch", str(args.batch), "--n-process", str(args.n_process)]
    return [*cmd, "--part", str(part), "--parts", str(parts)]


def _run_workers(args: argparse.Namespace) -> dict[str, Any]:
    """Our stage as deployed on N cores: N enrich workers sharing the input (one consumer group).

    The workers load their models, then start together; ``seconds`` is the wall time from that
    start until the last one has finished its share (the whole set), model loading excluded.
    """
    procs = [
        subprocess.Popen(
            [*_child("ours", args, k, args.workers), "--sync"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for k in range(args.workers)
    ]
    for p in procs:
        assert p.stdout is not None
        while p.stdout.readline().strip() != "ready":
            pass
    t0 = time.perf_counter()
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    parts = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    wall = time.perf_counter() - t0
    done = sum(r["articles"] for r in parts)
    return {
        "side": f"ours x{args.workers} processes",
        "articles": done,
        "mean_words": parts[0]["mean_words"],
        "seconds": round(wall, 2),
        "articles_per_s": round(done / wall, 1),
        "articles_per_cpu_s": round(done / sum(r["cpu_s"] for r in parts), 1),
        "cpu_s": round(sum(r["cpu_s"] for r in parts), 2),
        "load_s": max(r["load_s"] for r in parts),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in parts),
        "peak_rss_mb_total": sum(r["peak_rss_mb"] for r in parts),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--articles", type=int, default=300)
    ap.add_argument("--batch", type=int, default=64, help="articles per enrich_batch call")
    ap.add_argument("--n-process", type=int, default=1, help="enrich_batch n_process (ours)")
    ap.add_argument("--workers", type=int, default=2, help="parallel enrich workers (2 cores)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--side", choices=["ours", "naive"], help=argparse.SUPPRESS)
    ap.add_argument("--part", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--parts", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--sync", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side == "ours":
        print(
            json.dumps(
                run_ours(
                    args.articles, args.batch, args.n_process, args.part, args.parts, args.sync
                )
            )
        )
        return 0
    if args.side == "naive":
        print(json.dumps(run_naive(args.articles)))
        return 0
    load_before = round(os.getloadavg()[0], 2)
    results: dict[str, dict[str, Any]] = {}
    for side in ("naive", "ours"):
        proc = subprocess.run(_child(side, args), capture_output=True, text=True, check=True)
        results[side] = json.loads(proc.stdout.strip().splitlines()[-1])
    if args.workers > 1:
        results["ours_workers"] = _run_workers(args)
    naive = results["naive"]["articles_per_s"]
    summary = {
        "cpus": os.cpu_count(),
        "load_avg_1m_before": load_before,
        "load_avg_1m_after": round(os.getloadavg()[0], 2),
        "speedup_one_process": round(results["ours"]["articles_per_s"] / naive, 2),
        "speedup_per_cpu_s": round(
            results["ours"]["articles_per_cpu_s"] / results["naive"]["articles_per_cpu_s"], 2
        ),
        **results,
    }
    if "ours_workers" in results:
        summary["speedup_workers"] = round(results["ours_workers"]["articles_per_s"] / naive, 2)
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    head = f"{'side':<20}{'articles':>9}{'words':>7}{'art/s':>8}{'cpu s':>8}{'art/cpu-s':>11}"
    print(head + f"{'load s':>8}{'peak RSS MB':>13}")
    for r in results.values():
        print(
            f"{r['side']:<20}{r['articles']:>9}{r['mean_words']:>7}{r['articles_per_s']:>8}"
            f"{r['cpu_s']:>8}"
            f"{r['articles_per_cpu_s']:>11}{r['load_s']:>8}{r['peak_rss_mb']:>13}"
        )
    print(json.dumps({k: v for k, v in summary.items() if not isinstance(v, dict)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
