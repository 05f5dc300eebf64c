"""Training the learned actor decision on DEV documents: features, labels, both stages, pairs.

``build`` turns labelled items into each document's mention rows (``actorfeatures``) with their
gold; ``train`` fits the mention classifier (first stage), the per-state second stage
(``enrich/diplo/dyadstage.py``) on the first's inner out-of-fold probabilities, and the pair
decoding of ``dyadpairs`` (off in the enricher). ``scripts/train_actors.py`` stores what
``train`` returns; ``eval.actors_cv`` cross-validates it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from diplowire.enrich import diplo
from diplowire.enrich.diplo import actormodel, dyadpairs, dyadstage
from diplowire.enrich.diplo.actorfeatures import MentionRow, mention_rows
from diplowire.enrich.diplo.context import Ctx
from eval import mentiongold
from eval.devdata import folds_of
from eval.evaluate import document_text, dyads_of, parsed, set_counts
from eval.intervals import DocCounts, micro_f1

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
