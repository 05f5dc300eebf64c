"""The pair decoding of the actor decision (issue 12, dyads; ``enrich/diplo/dyadpairs.py``): its
pair features on made-up rows and its decoding on made-up probabilities (pure functions), the
stored weights, and training on made-up documents."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from diplowire.enrich.diplo import actordecision, actormodel, dyadpairs
from eval import actors_train
from tests.support.mentions import mention_row as _row

FEAT = {name: i for i, name in enumerate(dyadpairs.FEATURES)}


def test_pair_features_read_sentence_list_title_and_candidate_count() -> None:
    # "France and Japan signed (title). ... Brazil, later: Japan."
    rows = [
        _row("FR", 0, 0, in_title=1, in_list=1),
        _row("JP", 2, 0, in_title=1, in_list=1, list_after_first=1),
        _row("BR", 9, 1),
        _row("JP", 14, 2),
    ]
    p = {"FR": 0.8, "JP": 0.6, "BR": 0.2}
    f = dyadpairs.pair_features(rows, p)
    assert set(f) == {("FR", "JP"), ("BR", "FR"), ("BR", "JP")}  # codes in sorted order
    fj, bf, bj = f[("FR", "JP")], f[("BR", "FR")], f[("BR", "JP")]
    assert fj[FEAT["logit_low"]] == pytest.approx(math.log(0.6 / 0.4))
    assert fj[FEAT["logit_high"]] == pytest.approx(math.log(0.8 / 0.2))
    assert (fj[FEAT["same_sentence"]], fj[FEAT["same_list"]], fj[FEAT["both_in_title"]]) == (
        1,
        1,
        1,
    )
    assert (bf[FEAT["same_sentence"]], bf[FEAT["same_list"]], bf[FEAT["both_in_title"]]) == (
        0,
        0,
        0,
    )
    assert bj[FEAT["same_sentence"]] == 0
    assert all(v[FEAT["log_candidates"]] == pytest.approx(math.log(3)) for v in f.values())
    assert dyadpairs.pair_features(rows[:1], {"FR": 0.8}) == {}


def test_decode_keeps_a_state_only_if_it_pays_for_its_pairs() -> None:
    p = {"US": 0.9, "GB": 0.8, "CU": 0.45}
    q = {("GB", "US"): 0.9, ("CU", "US"): 0.1, ("CU", "GB"): 0.1}
    # Alone CU would pass the actor threshold (0.45 > 0.4), but its two pairs cost more.
    assert dyadpairs.decode(p, q, 0.4, 0.4, 1.0) == {"US", "GB"}
    # With a heavy per-state term its own margin outweighs the pairs.
    assert dyadpairs.decode(p, q, 0.4, 0.4, 20.0) == {"US", "GB", "CU"}
    # Nothing clears its cost: the empty set (score 0) wins.
    assert dyadpairs.decode({"US": 0.2, "GB": 0.1}, {("GB", "US"): 0.1}, 0.4, 0.4, 1.0) == set()
    # One candidate: its own term only.
    assert dyadpairs.decode({"FR": 0.5}, {}, 0.4, 0.4, 1.0) == {"FR"}
    assert dyadpairs.decode({"FR": 0.3}, {}, 0.4, 0.4, 1.0) == set()


def test_stored_pair_model_matches_its_features(tmp_path: Path) -> None:
    pairs = dyadpairs.load()
    assert pairs.model.features == dyadpairs.FEATURES
    assert 0 < pairs.actor_threshold < 1 and 0 < pairs.model.threshold < 1
    assert pairs.actor_weight > 0
    assert actordecision.stored_pairs() == pairs
    # A pair whose weaker state is more likely to act is more likely a dyad.
    low = [0.0] * len(dyadpairs.FEATURES)
    high = list(low)
    high[FEAT["logit_low"]] = 3.0
    q_low, q_high = pairs.model.proba(np.asarray([low, high]))
    assert q_high > q_low
    raw = json.loads(dyadpairs.MODEL_PATH.read_text(encoding="utf-8"))
    raw["features"] = raw["features"][1:]
    other = tmp_path / "p.json"
    other.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(actormodel.ModelMismatch):
        dyadpairs.load(other)
    # The stored form reads back as written.
    again = tmp_path / "again.json"
    again.write_text(pairs.to_json(), encoding="utf-8")
    assert dyadpairs.load(again) == pairs


def test_train_pairs_picks_decoding_from_its_grid() -> None:
    # Made-up documents, four states each: the two with high probabilities act together.
    docs, probs = [], []
    rng = np.random.default_rng(7)
    for d in range(40):
        codes = ["AA", "BB", "CC", "DD"]
        acting = {"AA", "BB"} if d % 2 else {"CC", "DD"}
        p = {
            c: float(rng.uniform(0.6, 0.95) if c in acting else rng.uniform(0.05, 0.5))
            for c in codes
        }
        rows = tuple(_row(c, 3 * k, k) for k, c in enumerate(codes))
        docs.append(
            actors_train.DocData(
                id=str(d),
                source="dev",
                rows=rows,
                found=frozenset(codes),
                rules=frozenset(),
                gold=frozenset(acting),
            )
        )
        probs.append(p)
    pairs = actors_train.train_pairs(docs, probs)
    assert pairs.actor_threshold in dyadpairs.ACTOR_THRESHOLDS
    assert pairs.model.threshold in dyadpairs.PAIR_THRESHOLDS
    assert pairs.actor_weight in dyadpairs.ACTOR_WEIGHTS
    assert all(
        dyadpairs.actors(d.rows, p, pairs) == d.gold for d, p in zip(docs, probs, strict=True)
    )
    assert actors_train.train_pairs(docs, probs) == pairs  # deterministic
