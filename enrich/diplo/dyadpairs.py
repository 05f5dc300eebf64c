"""Third step of the actor decision, for dyads (issue 12): which set of candidate states to call
actors, read pair by pair.

``dyadstage`` gives each candidate state a probability; a fixed threshold on it treats each state
alone, yet a dyad is a pair and a k-actor document has k(k-1)/2 of them, so one wrong state in a
large document costs (or saves) many pairs, and the stage's probabilities are not calibrated the
same way in a two-state story as in a twelve-state vote. Out-of-fold error analysis on the 624
DEV documents (``eval/results/dyads-session11-2026-12-01.txt``) put 80 % of the dyad errors in
documents with 3 or more candidate states, where a threshold tuned per candidate count moved
*down*, not up, as the count grew: the stage under-rates states in crowded documents.

So a small logistic regression scores each *pair* of candidate states: the lower and the higher
of the two states' second-stage logits, whether they share a sentence, a list (the same run of
states as ``dyadstage``), the headline, and the log of the number of candidates. The actor set is
then the prefix of the states ranked by their second-stage probability that maximises

    actor_weight * sum over chosen states (p - actor_threshold)
                 + sum over chosen pairs (q - pair_threshold)

(zero for the empty set): each state must pay for itself and for the pairs it adds. Ranking by
the state probability and taking a prefix keeps the search linear in the candidates. Expected-F1
decoding over products of the state probabilities alone (no pair model) was tried and did not
gain (same results file). No per-token work: a few dozen pairs per document at most.

Weights in ``enrich/kb/pair_model.json`` (the ``actormodel`` format, its ``threshold`` the pair
threshold, plus ``actor_threshold`` and ``actor_weight``). All three decoding numbers are chosen
by inner cross-validation (``eval.actors_train.train``); the second stage's own stored threshold is
no longer the enricher's decision (``eval.actors_cv`` still scores it, as "second stage").
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from diplowire.enrich.diplo import actormodel
from diplowire.enrich.diplo.actorfeatures import MentionRow
from diplowire.enrich.diplo.dyadstage import TITLE_COL, list_groups, logit

MODEL_PATH = Path(__file__).resolve().parent.parent / "kb" / "pair_model.json"

FEATURES: tuple[str, ...] = (
    "logit_low",
    "logit_high",
    "same_sentence",
    "same_list",
    "both_in_title",
    "log_candidates",
)

Pair = tuple[str, str]

ACTOR_THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5)
PAIR_THRESHOLDS = (0.25, 0.3, 0.35, 0.4, 0.45)
ACTOR_WEIGHTS = (1.0, 2.0, 4.0)
"""The decoding grid (75 points) that training searches (``eval.actors_train.train_pairs``)."""


def _pair(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


@dataclass(frozen=True)
class PairModel:
    """The pair logistic regression (its ``threshold`` is the pair threshold) and the per-state
    term of the decoding."""

    model: actormodel.ActorModel
    actor_threshold: float
    actor_weight: float

    def to_json(self) -> str:
        raw = json.loads(self.model.to_json())
        raw["actor_threshold"] = round(self.actor_threshold, 4)
        raw["actor_weight"] = round(self.actor_weight, 4)
        return json.dumps(raw, indent=1)


def load(path: Path = MODEL_PATH) -> PairModel:
    fields = actormodel.read_weights(
        path, FEATURES, actormodel.ModelMismatch, "scripts/train_actors.py"
    )
    raw = json.loads(path.read_text(encoding="utf-8"))
    return PairModel(
        actormodel.ActorModel(**fields), float(raw["actor_threshold"]), float(raw["actor_weight"])
    )


def pair_features(
    rows: Sequence[MentionRow], state_p: Mapping[str, float]
) -> dict[Pair, tuple[float, ...]]:
    """Feature vector of every pair of candidate states (codes in sorted order), from the mention
    rows of one document and each state's second-stage probability."""
    if len(state_p) < 2:
        return {}
    group = list_groups(rows)
    sents: dict[str, set[int]] = {}
    groups: dict[str, set[int]] = {}
    title: set[str] = set()
    for row, g in zip(rows, group, strict=True):
        sents.setdefault(row.code, set()).add(row.sent)
        groups.setdefault(row.code, set()).add(g)
        if row.features[TITLE_COL]:
            title.add(row.code)
    codes = sorted(state_p)
    log_k = math.log(len(codes))
    out: dict[Pair, tuple[float, ...]] = {}
    for i, a in enumerate(codes):
        for b in codes[i + 1 :]:
            la, lb = logit(state_p[a]), logit(state_p[b])
            out[(a, b)] = (
                min(la, lb),
                max(la, lb),
                float(bool(sents.get(a, set()) & sents.get(b, set()))),
                float(bool(groups.get(a, set()) & groups.get(b, set()))),
                float(a in title and b in title),
                log_k,
            )
    return out


def pair_probs(
    model: actormodel.ActorModel, feats: Mapping[Pair, Sequence[float]]
) -> dict[Pair, float]:
    if not feats:
        return {}
    keys = list(feats)
    p = model.proba(np.asarray([feats[k] for k in keys], dtype=np.float64))
    return {k: float(v) for k, v in zip(keys, p, strict=True)}


def decode(
    state_p: Mapping[str, float],
    pair_q: Mapping[Pair, float],
    actor_threshold: float,
    pair_threshold: float,
    actor_weight: float,
) -> set[str]:
    """The best-scoring prefix of the states ranked by probability (ties by code, so the answer
    does not depend on dict order); the empty set scores 0 and wins ties."""
    ranked = sorted(state_p, key=lambda c: (-state_p[c], c))
    best, best_m, score = 0.0, 0, 0.0
    for m, code in enumerate(ranked):
        score += actor_weight * (state_p[code] - actor_threshold)
        score += sum(pair_q[_pair(code, o)] - pair_threshold for o in ranked[:m])
        if score > best:
            best, best_m = score, m + 1
    return set(ranked[:best_m])


def actors(rows: Sequence[MentionRow], state_p: Mapping[str, float], pairs: PairModel) -> set[str]:
    """The decision: pair probabilities from ``pairs`` over the document's states, then
    ``decode`` with its stored numbers."""
    q = pair_probs(pairs.model, pair_features(rows, state_p))
    return decode(state_p, q, pairs.actor_threshold, pairs.model.threshold, pairs.actor_weight)
