"""Out-of-fold topic errors by topic, and what the "named" override does for each topic.

    .venv/bin/python -m eval.topics_errors [--folds 5] [--seeds 12,1,2,3,4,5]

Data: the 624 allowed documents only (``eval.devdata.allowed_items``, as ``eval.topics_cv``).
For each fold seed the learned decision is cross-validated twice on the same folds, with and
without the override that keeps the topics the text names specifically
(``topicdecision.TopicModel.kept``); the topics the override adds are the difference. Per topic
the table gives gold, true kept, false kept, missed, precision, recall, and the override's added
topics split into right and wrong, each a mean over the seeds.

Why: the decision's precision is the gap to the target (issue 12 part 3), so the first question is
which topics carry the false topics and whether the override is worth its false ones per topic.
An added topic raises micro-F1 only when it is right more often than about F1 / 2 of the time, so
the override of a topic whose added topics are right less often than that costs F1 there
(session 11, ``eval/results/topics-session11-2026-12-01.txt``: restricting the override per topic
by inner cross-validation did not carry over to the held-out folds).
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from eval.devdata import allowed_items
from eval.topics_cv import SEEDS, DocData, build, cross_validate


@dataclass(frozen=True)
class TopicErrors:
    gold: float
    kept_true: float
    kept_false: float
    missed: float
    added_true: float
    """Topics the override adds (kept with it, not without) that are gold."""
    added_false: float

    @property
    def precision(self) -> float:
        kept = self.kept_true + self.kept_false
        return self.kept_true / kept if kept else 1.0

    @property
    def recall(self) -> float:
        return self.kept_true / self.gold if self.gold else 1.0


def topic_errors(
    docs: Sequence[DocData],
    with_named: Sequence[Sequence[set[str]]],
    alone: Sequence[Sequence[set[str]]],
) -> dict[str, TopicErrors]:
    """Per topic, means over the runs (one run per fold seed) of the decision's out-of-fold
    counts; ``with_named[k][i]`` and ``alone[k][i]`` are document i's topics in run k with and
    without the override (the same folds)."""
    if len(with_named) != len(alone):
        raise ValueError("one run without the override for every run with it")
    c: dict[str, Counter[str]] = {}
    for run, bare in zip(with_named, alone, strict=True):
        for d, kept, base in zip(docs, run, bare, strict=True):
            for t in kept | base | d.gold:
                n = c.setdefault(t, Counter())
                n["gold"] += t in d.gold
                n["kept_true"] += t in kept and t in d.gold
                n["kept_false"] += t in kept and t not in d.gold
                n["missed"] += t in d.gold and t not in kept
                added = t in kept and t not in base
                n["added_true"] += added and t in d.gold
                n["added_false"] += added and t not in d.gold
    runs = len(with_named) or 1
    return {
        t: TopicErrors(**{k: n[k] / runs for k in TopicErrors.__dataclass_fields__})
        for t, n in sorted(c.items())
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seeds", default=",".join(str(s) for s in SEEDS))
    args = ap.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    docs = build(allowed_items())
    with_named = [cross_validate(docs, args.folds, s) for s in seeds]
    alone = [cross_validate(docs, args.folds, s, keep_named=False) for s in seeds]
    table = topic_errors(docs, with_named, alone)
    print(f"{args.folds}-fold CV by document, {len(docs)} documents, seeds {seeds}: means per seed")
    print(
        f"{'topic':<20} {'gold':>5} {'true':>6} {'false':>6} {'missed':>6} {'P':>6} {'R':>6}"
        f"  override adds: right / wrong"
    )
    order = sorted(table, key=lambda t: -table[t].kept_false)
    for t in order:
        e = table[t]
        print(
            f"{t:<20} {e.gold:5.0f} {e.kept_true:6.1f} {e.kept_false:6.1f} {e.missed:6.1f}"
            f" {e.precision:6.3f} {e.recall:6.3f}  {e.added_true:5.1f} / {e.added_false:.1f}"
        )
    fields = TopicErrors.__dataclass_fields__
    total = {k: sum(getattr(e, k) for e in table.values()) for k in fields}
    print(
        f"{'total':<20} {total['gold']:5.0f} {total['kept_true']:6.1f} {total['kept_false']:6.1f}"
        f" {total['missed']:6.1f}{'':14}  {total['added_true']:5.1f} / {total['added_false']:.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
