"""Articles per CPU-second: the no-NER path (de es pt it ru ar zh) beside the fr/en spaCy path, in
the same run and the same process, both through ``enrich.pipeline.enrich_batch`` (language
detection included).

- fr/en: the ~500-word articles of ``bench/enrich_throughput.py`` (real texts of ``eval/data``);
- no-NER: articles of the same length in characters, each made by concatenating the real news
  excerpts of ``tests/enrich/fixtures/languages/items.json`` in one language (they repeat: there
  are 1 to 3 per language; the fr/en texts repeat too, from a larger pool).

Each side is warmed up first (models, KB matchers, lingua), then timed with ``time.process_time``
over the same number of articles, in batches of 64, alternating sides ``--rounds`` times.

    .venv/bin/python bench/languages_bench.py [--articles 120] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from itertools import cycle
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from enrich_throughput import bench_article, build_articles  # noqa: E402

from diplowire.wire.article import Article  # noqa: E402

ITEMS = ROOT / "tests" / "enrich" / "fixtures" / "languages" / "items.json"
LANGS = ("de", "es", "pt", "it", "ru", "ar", "zh")


def make(i: int, lang: str, title: str, text: str) -> Article:
    return bench_article(f"bench-{lang}-{i}", i, lang, title, text)


def kbonly_articles(n: int, chars: int) -> list[Article]:
    by_lang: dict[str, list[str]] = defaultdict(list)
    for item in json.loads(ITEMS.read_text("utf-8"))["items"]:
        by_lang[item["lang"]].append(item["text"])
    streams = {lang: cycle(texts) for lang, texts in by_lang.items()}
    out = []
    for i in range(n):
        lang = LANGS[i % len(LANGS)]
        paras: list[str] = []
        while sum(len(p) for p in paras) < chars:
            paras.append(next(streams[lang]))
        out.append(make(i, lang, paras[0][:80], "\n\n".join(paras[1:])))
    return out


def timed(articles: list[Article], batch: int) -> float:
    from diplowire.enrich.pipeline import enrich_batch

    c0 = time.process_time()
    for k in range(0, len(articles), batch):
        enrich_batch(articles[k : k + batch])
    return time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--articles", type=int, default=120)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()
    from diplowire.enrich.pipeline import enrich_batch

    model = [make(i, lang, t, x) for i, (lang, t, x) in enumerate(build_articles(args.articles))]
    mean_chars = sum(len(a.body()) for a in model) // len(model)
    kb = kbonly_articles(args.articles, mean_chars)
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    enrich_batch(model[:4])
    enrich_batch(kb[: len(LANGS) * 2])
    print(f"warm-up (models, KB matchers, lingua): {time.perf_counter() - t0:.1f} s")
    print(
        f"{args.articles} articles a side, mean {mean_chars} chars (fr/en) and "
        f"{sum(len(a.body()) for a in kb) // len(kb)} chars (no-NER)"
    )
    ratios = []
    for r in range(args.rounds):
        cpu_model = timed(model, args.batch)
        cpu_kb = timed(kb, args.batch)
        a_model, a_kb = args.articles / cpu_model, args.articles / cpu_kb
        ratios.append(a_kb / a_model)
        print(
            f"round {r + 1}: fr/en {a_model:6.1f} art/CPU-s ({cpu_model:.2f} CPU s)   "
            f"no-NER {a_kb:7.1f} art/CPU-s ({cpu_kb:.2f} CPU s)   ratio {a_kb / a_model:5.1f}x"
        )
    print(
        f"ratio min {min(ratios):.1f}x, max {max(ratios):.1f}x; "
        f"load average {load:.1f} -> {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
