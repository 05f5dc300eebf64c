"""Cross-validated actors/dyads of a learned classifier, beside the rules and the trivial answer.

    .venv/bin/python -m eval.actors_cv [--folds 5] [--seeds 12,1,2] [--json]

Data: only what may be tuned on (issue 12): dev, dev2, held-out and the wave-3 *dev* split. The
frozen wave3-test split and the old test set are never loaded here. Folds are by document
(seeded shuffle); inside each training fold an inner cross-validation picks the threshold, so
the held-out fold sees a model and threshold chosen without it. Candidates are the countries the
enricher finds (the trivial answer's set); a country is an actor when the highest probability
over its mentions reaches the threshold. Every figure has a 95 % bootstrap interval over
documents and the paired intervals classifier − rules and classifier − trivial. "rules" are the
rules' own verdicts (``analyze(..., learned_actors=False)``), which are also the features' inputs:
the enricher's output is the classifier's.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from diplowire.enrich import diplo
from diplowire.enrich import nlp as nlpmod
from diplowire.enrich.diplo import actormodel
from diplowire.enrich.diplo.actorfeatures import MentionRow, mention_rows
from eval.evaluate import SETS, WAVE3, dyads_of, load_items, load_split, set_counts
from eval.intervals import DocCounts, bootstrap_f1, micro_f1, paired_difference

ALLOWED = ("dev", "dev2", "heldout")
SEED = 12
THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(2, 19))


@dataclass(frozen=True)
class DocData:
    id: str
    source: str
    rows: tuple[MentionRow, ...]
    found: frozenset[str]
    rules: frozenset[str]
    gold: frozenset[str]


def allowed_items() -> list[tuple[str, dict[str, Any]]]:
    """(source, item) of every item one may train and tune on; never a test split."""
    out = [(name, item) for name in ALLOWED for item in load_items(SETS[name])]
    out += [("wave3-dev", item) for item in load_split(WAVE3, "dev")]
    return out


def build(items: Sequence[tuple[str, dict[str, Any]]], parser: bool = False) -> list[DocData]:
    """Features of every item; ``parser`` also runs spaCy's dependency parser (disabled in the
    enricher) on each Doc, after the analysis, so the rules see exactly what they see today."""
    docs: list[DocData | None] = [None] * len(items)
    by_lang: dict[str, list[int]] = {}
    for i, (_, item) in enumerate(items):
        by_lang.setdefault(item["lang"], []).append(i)
    for lang, idxs in by_lang.items():
        pipeline = nlpmod.load(lang)
        assert pipeline is not None, lang
        texts = [f"{items[i][1]['title']}\n\n{items[i][1]['text']}" for i in idxs]
        for i, doc in zip(idxs, pipeline.pipe(texts), strict=True):
            source, item = items[i]
            facts = diplo.analyze(doc, lang, item.get("published"), learned_actors=False)
            if parser:
                doc = pipeline.get_pipe("parser")(doc)
            docs[i] = DocData(
                id=item["id"],
                source=source,
                rows=tuple(mention_rows(doc, lang, facts)),
                found=frozenset(c.code for c in facts.countries),
                rules=frozenset(c.code for c in facts.countries if c.actor),
                gold=frozenset(item["gold"].get("actors", [])),
            )
    return [d for d in docs if d is not None]


def _xy(docs: Sequence[DocData]) -> tuple[np.ndarray, np.ndarray]:
    rows = [(r.features, float(r.code in d.gold)) for d in docs for r in d.rows]
    if not rows:
        return np.zeros((0, len(actormodel.FEATURES))), np.zeros(0)
    return np.asarray([r[0] for r in rows], dtype=np.float64), np.asarray([r[1] for r in rows])


def folds_of(n: int, k: int, seed: int) -> list[list[int]]:
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return [order[f::k] for f in range(k)]


def _actor_counts(pred: set[str] | frozenset[str], gold: frozenset[str]) -> DocCounts:
    return set_counts(pred, gold)


def choose_threshold(docs: Sequence[DocData], k: int = 3, seed: int = SEED) -> float:
    """The threshold that maximises actors micro-F1 on inner out-of-fold probabilities."""
    probs: list[dict[str, float]] = [{} for _ in docs]
    for fold in folds_of(len(docs), k, seed):
        held = set(fold)
        model = actormodel.fit(*_xy([d for i, d in enumerate(docs) if i not in held]))
        for i in fold:
            probs[i] = model.country_probs(docs[i].rows)
    best, best_f = 0.5, -1.0
    for t in THRESHOLDS:
        f = micro_f1(
            [
                _actor_counts({c for c, p in pr.items() if p >= t}, d.gold)
                for pr, d in zip(probs, docs, strict=True)
            ]
        )
        if f > best_f:
            best, best_f = t, f
    return best


def train(docs: Sequence[DocData]) -> actormodel.ActorModel:
    """Model on ``docs`` with the threshold chosen by inner cross-validation on them."""
    return actormodel.with_threshold(actormodel.fit(*_xy(docs)), choose_threshold(docs))


def cross_validate(docs: Sequence[DocData], k: int, seed: int = SEED) -> list[set[str]]:
    preds: list[set[str]] = [set() for _ in docs]
    for fold in folds_of(len(docs), k, seed):
        held = set(fold)
        model = train([d for i, d in enumerate(docs) if i not in held])
        for i in fold:
            preds[i] = model.actors(docs[i].rows)
    return preds


def report(docs: Sequence[DocData], preds: Sequence[set[str]]) -> dict[str, Any]:
    systems = {
        "classifier": list(preds),
        "rules": [set(d.rules) for d in docs],
        "trivial": [set(d.found) for d in docs],
    }
    out: dict[str, Any] = {"n": len(docs)}
    per: dict[str, dict[str, list[DocCounts]]] = {}
    for name, actors in systems.items():
        per[name] = {
            "actors": [_actor_counts(a, d.gold) for a, d in zip(actors, docs, strict=True)],
            "dyads": [
                set_counts(dyads_of(a), dyads_of(d.gold)) for a, d in zip(actors, docs, strict=True)
            ],
        }
        out[name] = {
            f: {"f1": round(micro_f1(c), 3), "ci95": bootstrap_f1(c)} for f, c in per[name].items()
        }
    for other in ("rules", "trivial"):
        out[f"classifier_minus_{other}"] = {
            f: paired_difference(per["classifier"][f], per[other][f]) for f in ("actors", "dyads")
        }
    out["rules_minus_trivial"] = {
        f: paired_difference(per["rules"][f], per["trivial"][f]) for f in ("actors", "dyads")
    }
    return out


def _print(res: dict[str, Any], title: str) -> None:
    print(f"{title}  (n={res['n']} documents)")
    for name in ("classifier", "rules", "trivial"):
        a, d = res[name]["actors"], res[name]["dyads"]
        print(
            f"  {name:<11} actors {a['f1']:.3f} [{a['ci95'][0]:.3f}, {a['ci95'][1]:.3f}]"
            f"   dyads {d['f1']:.3f} [{d['ci95'][0]:.3f}, {d['ci95'][1]:.3f}]"
        )
    for key in ("classifier_minus_rules", "classifier_minus_trivial", "rules_minus_trivial"):
        a, d = res[key]["actors"], res[key]["dyads"]
        print(f"  {key:<25} actors [{a[0]}, {a[1]}]   dyads [{d[0]}, {d[1]}]")


def _print_seeds(docs: Sequence[DocData], k: int, seeds: Sequence[int]) -> int:
    """The fold assignment moves the figures by about a point: one line per seed, then the
    range, so a difference is not read off one lucky split."""
    f1s: dict[str, list[float]] = {"actors": [], "dyads": []}
    print(f"{k}-fold cross-validation by document, {len(docs)} documents, seeds {list(seeds)}")
    for seed in seeds:
        res = report(docs, cross_validate(docs, k, seed))
        a, d = res["classifier"]["actors"], res["classifier"]["dyads"]
        f1s["actors"].append(a["f1"])
        f1s["dyads"].append(d["f1"])
        cr, ct = res["classifier_minus_rules"], res["classifier_minus_trivial"]
        print(
            f"  seed {seed:>3}: actors {a['f1']:.3f} [{a['ci95'][0]:.3f}, {a['ci95'][1]:.3f}]"
            f"  dyads {d['f1']:.3f} [{d['ci95'][0]:.3f}, {d['ci95'][1]:.3f}]"
            f"  −rules actors {list(cr['actors'])} dyads {list(cr['dyads'])}"
            f"  −trivial actors {list(ct['actors'])} dyads {list(ct['dyads'])}"
        )
    for field, vals in f1s.items():
        print(f"  {field}: mean {sum(vals) / len(vals):.3f}, range {min(vals):.3f}–{max(vals):.3f}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument(
        "--seeds", help="comma-separated fold seeds: one line per seed and the spread (all docs)"
    )
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--parser", action="store_true", help="add dependency-parse features")
    args = ap.parse_args(argv)
    docs = build(allowed_items(), parser=args.parser)
    if args.seeds:
        return _print_seeds(docs, args.folds, [int(s) for s in args.seeds.split(",")])
    preds = cross_validate(docs, args.folds, args.seed)
    results = {"all": report(docs, preds)}
    for src in ("wave3-dev", "older"):
        idx = [i for i, d in enumerate(docs) if (d.source == "wave3-dev") == (src == "wave3-dev")]
        results[src] = report([docs[i] for i in idx], [preds[i] for i in idx])
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
        return 0
    extra = ", with parser features" if args.parser else ", no parser"
    print(f"{args.folds}-fold cross-validation by document, seed {args.seed}{extra}")
    for name, res in results.items():
        _print(res, name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
