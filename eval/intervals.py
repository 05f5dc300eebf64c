"""Bootstrap confidence intervals for micro-averaged P/R/F1 over documents.

A labelled set of 20–80 articles moves by several points per item, so a figure without its
interval invites reading noise as progress. Documents are resampled with replacement (the unit
that was sampled when the set was collected), the micro counts summed per resample, and the
2.5th/97.5th percentiles of F1 reported. Seeded: the same set gives the same interval.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

DocCounts = tuple[int, int, int]
"""(true positives, false positives, false negatives) of one field in one document."""

RESAMPLES = 2000
SEED = 12


def f1(tp: int, fp: int, fn: int) -> float:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return 2 * p * r / (p + r) if p + r else 0.0


def micro_f1(docs: Sequence[DocCounts]) -> float:
    return f1(sum(d[0] for d in docs), sum(d[1] for d in docs), sum(d[2] for d in docs))


def bootstrap_f1(
    docs: Sequence[DocCounts], resamples: int = RESAMPLES, seed: int = SEED
) -> tuple[float, float]:
    """95 % percentile interval of micro-F1 over documents resampled with replacement."""
    if not docs:
        return (0.0, 0.0)
    rng = random.Random(seed)
    n = len(docs)
    values = sorted(micro_f1([docs[rng.randrange(n)] for _ in range(n)]) for _ in range(resamples))
    lo = values[int(0.025 * (resamples - 1))]
    hi = values[int(0.975 * (resamples - 1))]
    return (round(lo, 3), round(hi, 3))


def prf(counts: Sequence[DocCounts]) -> dict[str, Any]:
    """Micro F1 with its bootstrap interval, precision and recall, as the eval reports print."""
    tp, fp, fn = (sum(c[j] for c in counts) for j in range(3))
    return {
        "f1": round(micro_f1(counts), 3),
        "ci95": bootstrap_f1(counts),
        "p": round(tp / (tp + fp), 3) if tp + fp else 1.0,
        "r": round(tp / (tp + fn), 3) if tp + fn else 1.0,
    }


def sum_by_document(runs: Sequence[Sequence[DocCounts]]) -> list[DocCounts]:
    """Per document, its counts summed over several runs on the same documents (fold seeds of a
    cross-validation): one unit per document, so a paired bootstrap over the sums pools every
    run without counting a document more than once."""
    if not runs:
        return []
    n = len(runs[0])
    if any(len(r) != n for r in runs):
        raise ValueError("every run must score the same documents")
    return [
        (sum(r[i][0] for r in runs), sum(r[i][1] for r in runs), sum(r[i][2] for r in runs))
        for i in range(n)
    ]


def paired_difference(
    a: Sequence[DocCounts], b: Sequence[DocCounts], resamples: int = RESAMPLES, seed: int = SEED
) -> tuple[float, float]:
    """95 % interval of F1(a) - F1(b) on the same documents (paired resampling): whether a
    system beats another on this set by more than the set's own noise."""
    if len(a) != len(b):
        raise ValueError("paired bootstrap needs the same documents on both sides")
    if not a:
        return (0.0, 0.0)
    rng = random.Random(seed)
    n = len(a)
    diffs = []
    for _ in range(resamples):
        idx = [rng.randrange(n) for _ in range(n)]
        diffs.append(micro_f1([a[i] for i in idx]) - micro_f1([b[i] for i in idx]))
    diffs.sort()
    return (
        round(diffs[int(0.025 * (resamples - 1))], 3),
        round(diffs[int(0.975 * (resamples - 1))], 3),
    )
