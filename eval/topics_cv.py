"""Cross-validated topics of a learned decision (``enrich/diplo/topicdecision.py``) vs the rules.

    .venv/bin/python -m eval.topics_cv [--folds 5] [--seeds 12,1,2,3,4,5] [--variants] [--json]

Data: only what may be tuned on (issue 12): dev, dev2, held-out, the wave-3 *dev* split,
wave5-dev, wave7-dev, wave9-dev and wave11-dev (``eval.devdata.allowed_items``, 816 documents);
the frozen wave3-test split, wave4-val, wave6-val, wave8-val and the old test set are never loaded.
``--seeds`` also splits every figure by subset (``SUBSETS``: the older 174, wave5-dev, wave7-dev,
wave9-dev, wave11-dev). Folds are by document
(seeded shuffle); inside each training fold an inner 3-fold cross-validation picks the threshold,
so a held-out fold is scored by a model and a threshold chosen without it.
Candidates are the topics with any evidence (KB term or organisation); the
rules' topics are ``topics.score_topics`` over the same evidence (what the enricher printed
before the model). Every figure has a 95 % bootstrap interval over documents, and the paired
interval model − rules; the default run adds the split by collection and language and a
train-on-one-collection, score-on-the-other check. The rules were tuned on these same documents,
so their figure here is in-sample (optimistic); the model's is out-of-fold.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from diplowire.enrich.diplo import topicdecision as td
from diplowire.enrich.diplo.context import Ctx
from diplowire.enrich.diplo.countries import country_mentions
from diplowire.enrich.diplo.organisations import agency_orgs, composed_orgs, merge_orgs, named_orgs
from diplowire.enrich.diplo.topicfeatures import (
    ALL_FEATURES,
    EVIDENCE_FEATURES,
    FEATURES,
    TopicRow,
    topic_rows,
)
from diplowire.enrich.diplo.topics import Evidence, evidence_of, score_topics
from eval.devdata import allowed_items, folds_of
from eval.evaluate import parsed, set_counts
from eval.intervals import micro_f1, paired_difference, prf

SEED = 12
SEEDS = (12, 1, 2, 3, 4, 5)
# Inner fold seeds pooled to choose the threshold (session 10: three seeds rather than SEED
# alone gained on every outer fold seed, eval/results/topics-decision-2026-12-01.txt).
INNER_SEEDS = (12, 7, 99)
THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(2, 19))
# Feature sets compared by ``--variants`` (the stored model uses ``FEATURES``).
VARIANTS: dict[str, tuple[str, ...]] = {
    "evidence": EVIDENCE_FEATURES,
    "evidence+topic": ALL_FEATURES,
    "no-rule-verdict": tuple(f for f in ALL_FEATURES if f != "rule_kept"),
}


# The subsets every ``--seeds`` figure is split by: the 174 documents of sessions before 7, and
# each of sessions 7 and 8's collections from new outlets.
SUBSETS = ("older 174", "wave5-dev", "wave7-dev", "wave9-dev", "wave11-dev")
STORY = "seed-fr"


def subset_of(source: str) -> str:
    return source if source in SUBSETS else "older 174"


@dataclass(frozen=True)
class DocData:
    id: str
    source: str
    lang: str
    rows: tuple[TopicRow, ...]
    rules: frozenset[str]
    gold: frozenset[str]


def doc_evidence(ctx: Ctx) -> list[Evidence]:
    """The evidence ``facts.analyze`` hands to ``topics_of``: the same organisation passes in
    the same order (country mentions first: they fill the context the organisations read)."""
    country_mentions(ctx)
    orgs = merge_orgs(named_orgs(ctx) + composed_orgs(ctx) + agency_orgs(ctx))
    return evidence_of(ctx, orgs)


def doc_data(source: str, item: dict[str, Any], ctx: Ctx, lang: str) -> DocData:
    """The candidate rows of one parsed item, with the rules' topics and the gold."""
    evidence = doc_evidence(ctx)
    rules = frozenset(t.name for t in score_topics(evidence))
    return DocData(
        id=item["id"],
        source=source,
        lang=lang,
        rows=tuple(topic_rows(ctx, evidence, rules, lang)),
        rules=rules,
        gold=frozenset(item["gold"].get("topics", [])),
    )


def build(items: Sequence[tuple[str, dict[str, Any]]]) -> list[DocData]:
    docs: list[DocData | None] = [None] * len(items)
    for i, lang, _, doc in parsed([item for _, item in items]):
        docs[i] = doc_data(items[i][0], items[i][1], Ctx(doc, lang), lang)
    return [d for d in docs if d is not None]


def _fit(docs: Sequence[DocData], features: tuple[str, ...], l2: float) -> td.TopicModel:
    rows = [r for d in docs for r in d.rows]
    return td.fit(rows, [r.topic in d.gold for d in docs for r in d.rows], features, l2)


def choose_threshold(
    docs: Sequence[DocData],
    features: tuple[str, ...],
    l2: float,
    k: int = 3,
    seeds: Sequence[int] = INNER_SEEDS,
) -> float:
    """The threshold that maximises topics micro-F1 on inner out-of-fold probabilities, the
    model alone, pooled over several inner fold seeds (``INNER_SEEDS``): one seed's threshold
    moves with its split (0.05 either way), which cost F1 on the held-out folds. The override
    (``TopicRow.named``) is added on top of the model so chosen, which did as well in CV as a
    threshold chosen with it (eval/README.md)."""
    runs: list[list[list[tuple[str, float]]]] = []
    for seed in seeds:
        probs: list[list[tuple[str, float]]] = [[] for _ in docs]
        for fold in folds_of(len(docs), k, seed):
            held = set(fold)
            model = _fit([d for i, d in enumerate(docs) if i not in held], features, l2)
            for i in fold:
                rows = docs[i].rows
                probs[i] = [
                    (r.topic, float(p)) for r, p in zip(rows, model.proba(rows), strict=True)
                ]
        runs.append(probs)
    best, best_f = 0.5, -1.0
    for t in THRESHOLDS:
        f = micro_f1(
            [
                set_counts({n for n, p in pr if p >= t}, d.gold)
                for probs in runs
                for pr, d in zip(probs, docs, strict=True)
            ]
        )
        if f > best_f:
            best, best_f = t, f
    return best


def train(
    docs: Sequence[DocData], features: tuple[str, ...] = FEATURES, l2: float = td.L2
) -> td.TopicModel:
    """Model on ``docs`` with the threshold chosen by inner cross-validation on them."""
    return td.with_threshold(_fit(docs, features, l2), choose_threshold(docs, features, l2))


def cross_validate(
    docs: Sequence[DocData],
    k: int,
    seed: int = SEED,
    features: tuple[str, ...] = FEATURES,
    l2: float = td.L2,
    keep_named: bool = True,
) -> list[set[str]]:
    preds: list[set[str]] = [set() for _ in docs]
    for fold in folds_of(len(docs), k, seed):
        held = set(fold)
        model = train([d for i, d in enumerate(docs) if i not in held], features, l2)
        for i in fold:
            preds[i] = set(model.kept(docs[i].rows, keep_named))
    return preds


def report(docs: Sequence[DocData], preds: Sequence[set[str]]) -> dict[str, Any]:
    model = [set_counts(p, d.gold) for p, d in zip(preds, docs, strict=True)]
    rules = [set_counts(d.rules, d.gold) for d in docs]
    reach = [set_counts({r.topic for r in d.rows} & d.gold, d.gold) for d in docs]
    return {
        "n": len(docs),
        "model": prf(model),
        "rules": prf(rules),
        "model_minus_rules": paired_difference(model, rules),
        "recall_ceiling": prf(reach)["r"],
    }


def across_collections(docs: Sequence[DocData]) -> dict[str, dict[str, Any]]:
    """Trained on one collection, scored on the other: wave3-dev (114 articles, 2026) and the
    older sets (dev, dev2, held-out: 60). A harder test of generalisation than shuffled folds,
    since each collection was gathered and labelled in its own way."""
    wave3 = [d for d in docs if d.source == "wave3-dev"]
    older = [d for d in docs if d.source != "wave3-dev"]
    out = {}
    for train_on, score_on, name in (
        (wave3, older, "wave3-dev->older"),
        (older, wave3, "older->wave3-dev"),
    ):
        model = train(train_on)
        out[name] = report(score_on, [set(model.kept(d.rows)) for d in score_on])
    return out


def _line(name: str, r: dict[str, Any]) -> str:
    return (
        f"{name:<6} {r['f1']:.3f} [{r['ci95'][0]:.3f}, {r['ci95'][1]:.3f}]"
        f" (P {r['p']:.3f} / R {r['r']:.3f})"
    )


def _print(res: dict[str, Any], title: str) -> None:
    print(f"{title}  (n={res['n']} documents, recall ceiling {res['recall_ceiling']:.3f})")
    print(f"  {_line('model', res['model'])}")
    print(f"  {_line('rules', res['rules'])}")
    print(f"  model − rules (paired) {list(res['model_minus_rules'])}")


def seed_table(
    docs: Sequence[DocData],
    k: int,
    seeds: Sequence[int],
    features: tuple[str, ...],
    l2: float,
    keep_named: bool = True,
) -> dict[str, Any]:
    per_seed = []
    for seed in seeds:
        preds = cross_validate(docs, k, seed, features, l2, keep_named)
        res = report(docs, preds)
        subsets = {}
        for name in SUBSETS:
            idx = [i for i, d in enumerate(docs) if subset_of(d.source) == name]
            if idx:
                subsets[name] = report([docs[i] for i in idx], [preds[i] for i in idx])
        # The founders' seed story (dev), out of fold: the brief's own example of a many-topic
        # story ("about diplomatic missions, finance and flights").
        story = [(sorted(preds[i]), sorted(d.gold)) for i, d in enumerate(docs) if d.id == STORY]
        per_seed.append({"seed": seed, **res, "subsets": subsets, "seed_story": story})
    f1s = [r["model"]["f1"] for r in per_seed]
    by_subset = {}
    for name in per_seed[0]["subsets"]:
        sub = [r["subsets"][name]["model"]["f1"] for r in per_seed]
        by_subset[name] = {
            "n": per_seed[0]["subsets"][name]["n"],
            "model_mean": round(sum(sub) / len(sub), 3),
            "model_range": (min(sub), max(sub)),
            "rules": per_seed[0]["subsets"][name]["rules"],
        }
    return {
        "seeds": per_seed,
        "model_mean": round(sum(f1s) / len(f1s), 3),
        "model_range": (min(f1s), max(f1s)),
        "rules": per_seed[0]["rules"],
        "subsets": by_subset,
    }


def _print_seeds(tab: dict[str, Any], title: str) -> None:
    print(title)
    for r in tab["seeds"]:
        m = r["model"]
        print(
            f"  seed {r['seed']:>3}: {_line('model', m)}"
            f"  model − rules {list(r['model_minus_rules'])}"
        )
    for r in tab["seeds"]:
        for got, gold in r["seed_story"]:
            kept = [t for t in got if t in gold]
            print(
                f"  seed {r['seed']:>3}: {STORY} out of fold: {len(kept)} of {len(gold)} gold"
                f" topics kept, missing {sorted(set(gold) - set(got))},"
                f" extra {sorted(set(got) - set(gold))}"
            )
    rules = tab["rules"]
    lo, hi = tab["model_range"]
    print(
        f"  model mean {tab['model_mean']:.3f}, range {lo:.3f}–{hi:.3f}   "
        f"{_line('rules', rules)} (the same on every seed)"
    )
    for name, sub in tab["subsets"].items():
        print(f"  {name} (n={sub['n']}):")
        for r in tab["seeds"]:
            s = r["subsets"][name]
            print(
                f"    seed {r['seed']:>3}: {_line('model', s['model'])}"
                f"  model − rules {list(s['model_minus_rules'])}"
            )
        lo, hi = sub["model_range"]
        print(
            f"    model mean {sub['model_mean']:.3f}, range {lo:.3f}–{hi:.3f}   "
            f"{_line('rules', sub['rules'])}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--seeds", help="comma-separated fold seeds: one line per seed and the spread")
    ap.add_argument("--variants", action="store_true", help="compare feature sets and L2 values")
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--model-alone",
        action="store_true",
        help="without the override that keeps the topics the text names specifically",
    )
    args = ap.parse_args(argv)
    docs = build(allowed_items())
    if args.variants:
        seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else list(SEEDS)
        for name, feats in VARIANTS.items():
            for l2 in (1.0, 10.0, 30.0):
                tab = seed_table(docs, args.folds, seeds, feats, l2)
                lo, hi = tab["model_range"]
                print(f"{name:<16} L2 {l2:>5}: mean {tab['model_mean']:.3f} ({lo:.3f}–{hi:.3f})")
        return 0
    if args.seeds:
        seeds = [int(s) for s in args.seeds.split(",")]
        title = f"{args.folds}-fold CV by document, {len(docs)} documents, seeds {seeds}" + (
            ", the model alone" if args.model_alone else ", the model + the topics the text names"
        )
        tab = seed_table(docs, args.folds, seeds, FEATURES, td.L2, not args.model_alone)
        if args.json:
            json.dump(tab, sys.stdout, indent=2)
            print()
        else:
            _print_seeds(tab, title)
        return 0
    preds = cross_validate(docs, args.folds, args.seed, keep_named=not args.model_alone)
    results = {"all": report(docs, preds)}
    for src in ("wave3-dev", "older"):
        idx = [i for i, d in enumerate(docs) if (d.source == "wave3-dev") == (src == "wave3-dev")]
        results[src] = report([docs[i] for i in idx], [preds[i] for i in idx])
    for lang in ("fr", "en"):
        idx = [i for i, d in enumerate(docs) if d.lang == lang]
        results[lang] = report([docs[i] for i in idx], [preds[i] for i in idx])
    results.update(across_collections(docs))
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
        return 0
    print(f"{args.folds}-fold cross-validation by document, seed {args.seed}")
    for name, res in results.items():
        _print(res, name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
