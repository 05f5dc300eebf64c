"""Second stage of the actor decision, for dyads (issue 12): each candidate state's first-stage
probability read beside the other states of the same document.

The first stage (``actormodel`` over ``actorfeatures``) scores every mention alone. Two kinds of
dyad errors follow from that and dominate the cross-validated misses (``eval/README.md``,
"Dyads: a second stage over the document's states"): the members of one enumeration ("four
states voted against: the United States, the United Kingdom, France and Japan") get different
probabilities, so some fall under the threshold and every pair they belong to is lost; and a
state named beside acting ones is judged without them. Dyads grow with the square of the
actors, so each such miss costs several pairs. This stage is a second logistic regression, one
row per candidate state, over what the first stage said about it *and* about the states around
it: its best and mean mention probability, the best probability among the states listed with it
and among those in its sentences, its share of the mentions and whether it is in the headline.
Document-size features (rank among the candidates, their number, how many others already act)
were tried too and left out: they made the cross-validated gain vary more from one fold
assignment to the next without raising it.

Trained on out-of-fold first-stage probabilities (``eval.actors_train.train``), so it learns how
far to trust the first stage on documents that stage did not see. Weights in
``enrich/kb/dyad_model.json`` (the ``actormodel.ActorModel`` format).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from diplowire.enrich.diplo.actorfeatures import INDEX, MentionRow
from diplowire.enrich.diplo.actormodel import ActorModel

MODEL_PATH = Path(__file__).resolve().parent.parent / "kb" / "dyad_model.json"

FEATURES: tuple[str, ...] = (
    "logit_best",
    "mean_prob",
    "list_sibling_best",
    "listed_with_other",
    "same_sentence_best",
    "share_mentions",
    "in_title",
)
_EPS = 1e-4
_LIST_AFTER_FIRST = INDEX["list_after_first"]
_SHARE = INDEX["share_mentions"]
# Public: the pair decoding (``dyadpairs``) reads the same columns, runs and logits.
TITLE_COL = INDEX["in_title"]


def logit(p: float) -> float:
    p = min(max(p, _EPS), 1 - _EPS)
    return math.log(p / (1 - p))


def list_groups(rows: Sequence[MentionRow]) -> list[int]:
    """Group id per row: a mention that continues a run of countries ("..., France and Japan")
    joins the mention before it in the text."""
    order = sorted(range(len(rows)), key=lambda i: rows[i].start)
    group = [0] * len(rows)
    g = -1
    for k, i in enumerate(order):
        if k == 0 or not rows[i].features[_LIST_AFTER_FIRST]:
            g += 1
        group[i] = g
    return group


def country_features(
    rows: Sequence[MentionRow], probs: Sequence[float]
) -> dict[str, tuple[float, ...]]:
    """Second-stage feature vector per candidate state, from the mention rows of one document
    and the first stage's probability of each row (same order)."""
    if not rows:
        return {}
    group = list_groups(rows)
    best: dict[str, float] = {}
    mine: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        best[row.code] = max(best.get(row.code, 0.0), float(probs[i]))
        mine.setdefault(row.code, []).append(i)
    out: dict[str, tuple[float, ...]] = {}
    for code, idx in mine.items():
        groups = {group[i] for i in idx}
        sents = {rows[i].sent for i in idx}
        siblings = [
            float(probs[i]) for i, r in enumerate(rows) if r.code != code and group[i] in groups
        ]
        beside = [best[r.code] for r in rows if r.code != code and r.sent in sents]
        out[code] = (
            logit(best[code]),
            sum(float(probs[i]) for i in idx) / len(idx),
            max(siblings, default=0.0),
            float(bool(siblings)),
            max(beside, default=0.0),
            rows[idx[0]].features[_SHARE],
            float(any(rows[i].features[TITLE_COL] for i in idx)),
        )
    return out


def state_probs(
    first: ActorModel, second: ActorModel, rows: Sequence[MentionRow]
) -> dict[str, float]:
    """Second-stage probability that each candidate state acts."""
    if not rows:
        return {}
    mention_p = first.proba(np.asarray([r.features for r in rows], dtype=np.float64))
    feats = country_features(rows, [float(p) for p in mention_p])
    codes = list(feats)
    p = second.proba(np.asarray([feats[c] for c in codes], dtype=np.float64))
    return {c: float(v) for c, v in zip(codes, p, strict=True)}


def actors(first: ActorModel, second: ActorModel, rows: Sequence[MentionRow]) -> set[str]:
    return {c for c, p in state_probs(first, second, rows).items() if p >= second.threshold}
