"""Cross-validated actors/dyads of a learned classifier, beside the rules and the trivial answer.

    .venv/bin/python -m eval.actors_cv [--folds 5] [--seeds 12,1,2] [--json]

Data: only what may be tuned on (issue 12): dev, dev2, held-out, the wave-3 *dev* split,
wave5-dev, wave7-dev and wave9-dev (624 documents). The frozen wave3-test split, the validation
sets and the old test set are never loaded here. Folds are by document
(seeded shuffle); inside each training fold an inner cross-validation gives the first stage's
out-of-fold probabilities, from which its threshold is picked and the second stage
(``enrich/diplo/dyadstage.py``) is trained, so the held-out fold sees models and thresholds
chosen without it. Candidates are the countries the enricher finds (the trivial answer's set).
Systems: "classifier" (both stages and the pair decoding of ``dyadpairs``: measured in session
11, off in the enricher), "second stage" (both stages, the second's threshold: the enricher),
"first stage" (a country acts when its best mention's probability reaches the threshold: the
enricher before), "rules" (the
rules' own verdicts, ``analyze(..., learned_actors=False)``, which are also the features'
inputs) and "trivial" (every country found acts). Every figure has a 95 % bootstrap interval
over documents, and paired intervals between the systems.
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
from diplowire.enrich.diplo import actormodel, dyadpairs, dyadstage
from diplowire.enrich.diplo.actorfeatures import MentionRow, mention_rows
from diplowire.enrich.diplo.context import Ctx
from eval import mentiongold
from eval.evaluate import (
    SETS,
    WAVE3,
    document_text,
    dyads_of,
    load_items,
    load_set,
    load_split,
    parsed,
    set_counts,
)
from eval.intervals import (
    DocCounts,
    bootstrap_f1,
    micro_f1,
    paired_difference,
    prf,
    sum_by_document,
)

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
    row_gold: tuple[float, ...] | None = None
    """Per row, from mention-level gold (``eval/mentiongold.py``): 1.0 when the mention's
    sentence is one where its state acts, 0.0 otherwise; None without such gold (every mention
    of a gold actor then counts as acting)."""


LATER = ("wave5-dev", "wave7-dev", "wave9-dev")
"""Sessions 7 and 8's collections from new outlets, each scored once as unseen news, then
trained on."""


def allowed_items(
    later: Sequence[str] = LATER, *, wave5: bool = True
) -> list[tuple[str, dict[str, Any]]]:
    """(source, item) of every item one may train and tune on; never a test split, wave 4 or
    wave 6. ``later`` picks which of session 7's collections join (``()``: the 174 documents the
    model had before them), so a change can be trained without one and scored on it;
    ``wave5=False`` is ``later=()`` (kept for callers written before wave 7)."""
    later = later if wave5 else ()
    out = [(name, item) for name in ALLOWED for item in load_items(SETS[name])]
    out += [("wave3-dev", item) for item in load_split(WAVE3, "dev")]
    for name in later:
        out += [(name, item) for item in load_set(name)]
    return out


def _row_gold(
    doc: Any,
    lang: str,
    rows: Sequence[MentionRow],
    acts: dict[str, list[str]],
    text: str,
    non_acting: str,
) -> tuple[float, ...]:
    """1.0 for a row whose sentence overlaps a snippet where its state acts; a gold actor's
    other mentions are 0.0 (``non_acting="negative"``) or -1.0, left out of training
    (``"exclude"``). A gold actor with no snippet (acts in no sentence one can point to) keeps
    every mention acting, as without mention gold."""
    ctx = Ctx(doc, lang)
    bounds: dict[int, tuple[int, int]] = {}
    for tok in doc:
        s = ctx.sent[tok.i]
        lo, hi = bounds.get(s, (tok.idx, tok.idx))
        bounds[s] = (min(lo, tok.idx), max(hi, tok.idx + len(tok.text)))
    spans = {code: mentiongold.spans(text, snips) for code, snips in acts.items()}
    out = []
    for r in rows:
        if r.code not in acts:
            out.append(0.0)
        elif not spans[r.code]:
            out.append(1.0)
        else:
            lo, hi = bounds[ctx.sent[r.start]]
            acting = any(a < hi and lo < b for a, b in spans[r.code])
            out.append(1.0 if acting else (0.0 if non_acting == "negative" else -1.0))
    return tuple(out)


def build(
    items: Sequence[tuple[str, dict[str, Any]]],
    parser: bool = False,
    mention_gold: dict[str, dict[str, list[str]]] | None = None,
    non_acting: str = "negative",
) -> list[DocData]:
    """Features of every item; ``parser`` also runs spaCy's dependency parser (disabled in the
    enricher) on each Doc, after the analysis, so the rules see exactly what they see today."""
    docs: list[DocData | None] = [None] * len(items)
    for i, lang, pipeline, doc in parsed([item for _, item in items]):
        source, item = items[i]
        facts = diplo.analyze(doc, lang, item.get("published"), learned_actors=False)
        if parser:
            doc = pipeline.get_pipe("parser")(doc)
        rows = tuple(mention_rows(doc, lang, facts))
        acts = (mention_gold or {}).get(item["id"])
        docs[i] = DocData(
            id=item["id"],
            source=source,
            rows=rows,
            row_gold=(
                None
                if acts is None
                else _row_gold(doc, lang, rows, acts, document_text(item), non_acting)
            ),
            found=frozenset(c.code for c in facts.countries),
            rules=frozenset(c.code for c in facts.countries if c.actor),
            gold=frozenset(item["gold"].get("actors", [])),
        )
    return [d for d in docs if d is not None]


def _labels(d: DocData) -> Sequence[float]:
    return d.row_gold if d.row_gold is not None else [float(r.code in d.gold) for r in d.rows]


def _xy(docs: Sequence[DocData]) -> tuple[np.ndarray, np.ndarray]:
    rows = [
        (r.features, y)
        for d in docs
        for r, y in zip(d.rows, _labels(d), strict=True)
        if y >= 0.0  # -1: a non-acting mention of an acting state, left out of training
    ]
    if not rows:
        return np.zeros((0, len(actormodel.FEATURES))), np.zeros(0)
    return np.asarray([r[0] for r in rows], dtype=np.float64), np.asarray([r[1] for r in rows])


def folds_of(n: int, k: int, seed: int) -> list[list[int]]:
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return [order[f::k] for f in range(k)]


def _actor_counts(pred: set[str] | frozenset[str], gold: frozenset[str]) -> DocCounts:
    return set_counts(pred, gold)


def _row_probs(model: actormodel.ActorModel, rows: Sequence[MentionRow]) -> list[float]:
    if not rows:
        return []
    return [float(p) for p in model.proba(np.asarray([r.features for r in rows], dtype=np.float64))]


def _best(rows: Sequence[MentionRow], probs: Sequence[float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for row, p in zip(rows, probs, strict=True):
        out[row.code] = max(out.get(row.code, 0.0), p)
    return out


def inner_mention_probs(docs: Sequence[DocData], k: int = 3, seed: int = SEED) -> list[list[float]]:
    """First-stage probability of every mention row, each document's from a model trained
    without it (k folds by document)."""
    out: list[list[float]] = [[] for _ in docs]
    for fold in folds_of(len(docs), k, seed):
        held = set(fold)
        model = actormodel.fit(*_xy([d for i, d in enumerate(docs) if i not in held]))
        for i in fold:
            out[i] = _row_probs(model, docs[i].rows)
    return out


def _threshold(docs: Sequence[DocData], probs: Sequence[dict[str, float]]) -> float:
    """The threshold that maximises actors micro-F1 over the documents' state probabilities."""
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


def choose_threshold(docs: Sequence[DocData], k: int = 3, seed: int = SEED) -> float:
    """The first stage's threshold, on inner out-of-fold probabilities."""
    mp = inner_mention_probs(docs, k, seed)
    return _threshold(docs, [_best(d.rows, p) for d, p in zip(docs, mp, strict=True)])


@dataclass(frozen=True)
class Decision:
    """The learned decision: the mention classifier, ``dyadstage`` over its output and the
    pair decoding of ``dyadpairs`` over the second stage's probabilities (``actors``; off in the
    enricher, ``actordecision.PAIR_DECODING``), or the second stage's threshold
    (``second_stage``: the enricher's)."""

    first: actormodel.ActorModel
    second: actormodel.ActorModel
    pairs: dyadpairs.PairModel

    def actors(self, rows: Sequence[MentionRow]) -> set[str]:
        return dyadpairs.actors(
            rows, dyadstage.state_probs(self.first, self.second, rows), self.pairs
        )

    def second_stage(self, rows: Sequence[MentionRow]) -> set[str]:
        """Both stages with the second stage's own threshold: the enricher's decision."""
        return dyadstage.actors(self.first, self.second, rows)


def train_first(docs: Sequence[DocData]) -> actormodel.ActorModel:
    """The mention classifier alone, threshold chosen by inner cross-validation."""
    return actormodel.with_threshold(actormodel.fit(*_xy(docs)), choose_threshold(docs))


def train_pairs(docs: Sequence[DocData], probs: Sequence[dict[str, float]]) -> dyadpairs.PairModel:
    """The pair model on the second stage's probabilities of ``docs``, and the decoding numbers
    that maximise actors F1 + dyads F1 there (both fields: the change is for dyads, and actors
    must not pay for it)."""
    feats = [dyadpairs.pair_features(d.rows, p) for d, p in zip(docs, probs, strict=True)]
    x = [v for per in feats for v in per.values()]
    y = [
        float(a in d.gold and b in d.gold)
        for per, d in zip(feats, docs, strict=True)
        for a, b in per
    ]
    model = actormodel.fit(
        np.asarray(x, dtype=np.float64).reshape(len(x), len(dyadpairs.FEATURES)),
        np.asarray(y),
        features=dyadpairs.FEATURES,
    )
    qs = [dyadpairs.pair_probs(model, per) for per in feats]
    best: tuple[float, float, float, float] | None = None
    for ta in dyadpairs.ACTOR_THRESHOLDS:
        for td in dyadpairs.PAIR_THRESHOLDS:
            for lam in dyadpairs.ACTOR_WEIGHTS:
                chosen = [
                    dyadpairs.decode(p, q, ta, td, lam) for p, q in zip(probs, qs, strict=True)
                ]
                score = micro_f1(
                    [_actor_counts(a, d.gold) for a, d in zip(chosen, docs, strict=True)]
                ) + micro_f1(
                    [
                        set_counts(dyads_of(a), dyads_of(d.gold))
                        for a, d in zip(chosen, docs, strict=True)
                    ]
                )
                if best is None or score > best[0] + 1e-12:
                    best = (score, ta, td, lam)
    assert best is not None
    _, ta, td, lam = best
    return dyadpairs.PairModel(actormodel.with_threshold(model, td), ta, lam)


def train(docs: Sequence[DocData]) -> Decision:
    """All three steps on ``docs``. The second stage learns from the first stage's inner
    out-of-fold probabilities (what the first stage says about documents it was not trained
    on, as in use); its threshold maximises actors F1 on its own probabilities there; the pair
    model and its decoding are fitted on those same second-stage probabilities."""
    mp = inner_mention_probs(docs)
    first = actormodel.with_threshold(
        actormodel.fit(*_xy(docs)),
        _threshold(docs, [_best(d.rows, p) for d, p in zip(docs, mp, strict=True)]),
    )
    feats = [dyadstage.country_features(d.rows, p) for d, p in zip(docs, mp, strict=True)]
    x = [f for per in feats for f in per.values()]
    y = [float(c in d.gold) for per, d in zip(feats, docs, strict=True) for c in per]
    second = actormodel.fit(
        np.asarray(x, dtype=np.float64), np.asarray(y), features=dyadstage.FEATURES
    )
    probs = []
    for per in feats:
        codes = list(per)
        p: list[float] = (
            second.proba(np.asarray([per[c] for c in codes], dtype=np.float64)).tolist()
            if codes
            else []
        )
        probs.append({c: float(v) for c, v in zip(codes, p, strict=True)})
    return Decision(
        first, actormodel.with_threshold(second, _threshold(docs, probs)), train_pairs(docs, probs)
    )


SYSTEMS = ("classifier", "second stage", "first stage", "rules", "trivial")
"""classifier: two stages and the pair decoding (session 11, off in the enricher); second
stage: two stages with the second's threshold (the enricher); first stage: the mention
classifier alone (before session 10); rules: the rules' own verdicts; trivial: every country
found."""
LEARNED = SYSTEMS[:3]


def cross_validate(docs: Sequence[DocData], k: int, seed: int = SEED) -> dict[str, list[set[str]]]:
    """Out-of-fold actors of both learned systems, each fold's models trained without it."""
    preds: dict[str, list[set[str]]] = {name: [set() for _ in docs] for name in LEARNED}
    for fold in folds_of(len(docs), k, seed):
        held = set(fold)
        decision = train([d for i, d in enumerate(docs) if i not in held])
        for i in fold:
            preds["classifier"][i] = decision.actors(docs[i].rows)
            preds["second stage"][i] = decision.second_stage(docs[i].rows)
            preds["first stage"][i] = decision.first.actors(docs[i].rows)
    return preds


def report(docs: Sequence[DocData], preds: dict[str, list[set[str]]]) -> dict[str, Any]:
    systems = {
        **preds,
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
    for a, b in PAIRS:
        out[_key(a, b)] = {f: paired_difference(per[a][f], per[b][f]) for f in ("actors", "dyads")}
    return out


def _key(a: str, b: str) -> str:
    return f"{a}_minus_{b}".replace(" ", "_")


PAIRS = (
    ("classifier", "second stage"),
    ("classifier", "first stage"),
    ("classifier", "rules"),
    ("classifier", "trivial"),
    ("first stage", "trivial"),
    ("rules", "trivial"),
)


def _print(res: dict[str, Any], title: str) -> None:
    print(f"{title}  (n={res['n']} documents)")
    for name in SYSTEMS:
        a, d = res[name]["actors"], res[name]["dyads"]
        print(
            f"  {name:<11} actors {a['f1']:.3f} [{a['ci95'][0]:.3f}, {a['ci95'][1]:.3f}]"
            f"   dyads {d['f1']:.3f} [{d['ci95'][0]:.3f}, {d['ci95'][1]:.3f}]"
        )
    for a_name, b_name in PAIRS:
        a, d = res[_key(a_name, b_name)]["actors"], res[_key(a_name, b_name)]["dyads"]
        label = f"{a_name} − {b_name}"
        print(f"  {label:<26} actors [{a[0]}, {a[1]}]   dyads [{d[0]}, {d[1]}]")


def _print_seeds(docs: Sequence[DocData], k: int, seeds: Sequence[int]) -> int:
    """The fold assignment moves the figures by a few points: one line per seed, then the
    mean and range of each learned system, and every seed pooled (per-document counts summed)
    with the pair decoding's paired interval over the enricher's decision ("second stage"), so a
    difference is not read off one lucky split."""
    f1s: dict[tuple[str, str], list[float]] = {}
    per: dict[tuple[str, str], list[list[DocCounts]]] = {}
    print(f"{k}-fold cross-validation by document, {len(docs)} documents, seeds {list(seeds)}")
    for seed in seeds:
        preds = cross_validate(docs, k, seed)
        res = report(docs, preds)
        line = f"  seed {seed:>3}:"
        for name in LEARNED:
            for field in ("actors", "dyads"):
                f1s.setdefault((name, field), []).append(res[name][field]["f1"])
            per.setdefault((name, "actors"), []).append(
                [_actor_counts(a, d.gold) for a, d in zip(preds[name], docs, strict=True)]
            )
            per.setdefault((name, "dyads"), []).append(
                [
                    set_counts(dyads_of(a), dyads_of(d.gold))
                    for a, d in zip(preds[name], docs, strict=True)
                ]
            )
            a, d = res[name]["actors"], res[name]["dyads"]
            line += f"  {name} {a['f1']:.3f} / {d['f1']:.3f}"
        cs, ct = res[_key("classifier", "second stage")], res[_key("classifier", "trivial")]
        print(
            f"{line}  (actors / dyads)  classifier −second stage actors {list(cs['actors'])}"
            f" dyads {list(cs['dyads'])}  −trivial dyads {list(ct['dyads'])}"
        )
    for name in ("rules", "trivial"):
        a, d = res[name]["actors"]["f1"], res[name]["dyads"]["f1"]
        print(f"  {name} (no folds): actors {a:.3f}, dyads {d:.3f}")
    for (name, field), vals in f1s.items():
        print(
            f"  {name} {field}: mean {sum(vals) / len(vals):.3f}, "
            f"range {min(vals):.3f}–{max(vals):.3f}"
        )
    print(f"  pooled over {len(seeds)} seeds:")
    for field in ("actors", "dyads"):
        new = sum_by_document(per[("classifier", field)])
        old = sum_by_document(per[("second stage", field)])
        o, n = prf(old), prf(new)
        print(
            f"    {field}: second stage {o['f1']:.3f} (P {o['p']:.3f} / R {o['r']:.3f}) -> "
            f"classifier {n['f1']:.3f} (P {n['p']:.3f} / R {n['r']:.3f}), "
            f"paired {list(paired_difference(new, old))}"
        )
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
    ap.add_argument(
        "--mention-gold",
        choices=("negative", "exclude"),
        help="train on mention-level gold (data/actor_mentions/): only mentions in sentences "
        "where their state acts are positive; an acting state's other mentions are negatives "
        "or left out",
    )
    args = ap.parse_args(argv)
    docs = build(
        allowed_items(),
        parser=args.parser,
        mention_gold=mentiongold.load() if args.mention_gold else None,
        non_acting=args.mention_gold or "negative",
    )
    if args.seeds:
        return _print_seeds(docs, args.folds, [int(s) for s in args.seeds.split(",")])
    preds = cross_validate(docs, args.folds, args.seed)
    results = {"all": report(docs, preds)}
    for src in ("wave3-dev", "wave5-dev", "older"):
        idx = [
            i
            for i, d in enumerate(docs)
            if d.source == src or (src == "older" and d.source not in ("wave3-dev", "wave5-dev"))
        ]
        results[src] = report(
            [docs[i] for i in idx], {k: [v[i] for i in idx] for k, v in preds.items()}
        )
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
