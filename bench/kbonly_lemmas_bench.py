"""What the lookup lemmas (``enrich/kblemmas.py``) cost the no-NER path: articles per CPU-second
of ``enrich_batch`` on the no-NER articles of ``bench/languages_bench.py`` (real excerpts in
de es pt it ru ar zh, ~500-word articles), with the lemmas and without them (the enricher's
lemma call replaced by one returning nothing), interleaved batch by batch, ``--rounds`` times;
then the lemma call alone on the same articles, as a share of ``enrich_batch``'s time.

    .venv/bin/python bench/kbonly_lemmas_bench.py [--articles 140] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from enrich_throughput import build_articles  # noqa: E402
from languages_bench import LANGS, kbonly_articles, make, timed  # noqa: E402

from diplowire.enrich import kblemmas, kbonly  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--articles", type=int, default=140)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batch", type=int, default=16)
    args = ap.parse_args()
    model = [make(i, lang, t, x) for i, (lang, t, x) in enumerate(build_articles(20))]
    mean_chars = sum(len(a.body()) for a in model) // len(model)
    kb = kbonly_articles(args.articles, mean_chars)
    with_lemmas = kbonly.table_lemmas
    load = os.getloadavg()[0]
    timed(kb[: len(LANGS) * 4], args.batch)  # warm-up: KB matchers, lingua, table members
    rates: dict[str, list[float]] = {"lemmas": [], "none": []}
    off = lambda lang, text: ""  # noqa: E731
    for r in range(args.rounds):
        cpu = {"lemmas": 0.0, "none": 0.0}
        # Interleaved batch by batch (order swapped each time): the other sessions' load, which
        # drifts over seconds, falls on both sides alike.
        for i, k in enumerate(range(0, len(kb), args.batch)):
            batch = kb[k : k + args.batch]
            for side in ("lemmas", "none") if (i + r) % 2 == 0 else ("none", "lemmas"):
                kbonly.table_lemmas = with_lemmas if side == "lemmas" else off
                cpu[side] += timed(batch, args.batch)
        kbonly.table_lemmas = with_lemmas
        for side in cpu:
            rates[side].append(len(kb) / cpu[side])
        print(
            f"round {r + 1}: with lemmas {rates['lemmas'][-1]:7.1f} art/CPU-s   "
            f"without {rates['none'][-1]:7.1f} art/CPU-s   "
            f"ratio {rates['lemmas'][-1] / rates['none'][-1]:.3f}"
        )
    # The same cost measured directly, less exposed to the other sessions' load: the lemma call
    # alone on the same bodies, against the whole enrich_batch.
    bodies = [(a.source.lang_hint or "", a.body()) for a in kb]
    c0 = time.process_time()
    for lang, body in bodies:
        kblemmas.lemmas(lang, body)
    alone = time.process_time() - c0
    whole = timed(kb, args.batch)
    print(
        f"the lemma call alone: {alone * 1000 / len(kb):.3f} ms an article, "
        f"{alone / whole:.1%} of enrich_batch's {whole * 1000 / len(kb):.3f} ms"
    )
    med = {k: statistics.median(v) for k, v in rates.items()}
    print(
        f"{args.articles} articles, mean {sum(len(a.body()) for a in kb) // len(kb)} chars; "
        f"medians: with lemmas {med['lemmas']:.1f}, without {med['none']:.1f} art/CPU-s, "
        f"ratio {med['lemmas'] / med['none']:.3f}; load average {load:.1f} -> "
        f"{os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
