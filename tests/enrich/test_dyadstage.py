"""The actor decision's second stage (issue 12, dyads): each candidate state's first-stage
probability read beside the document's other states (``enrich/diplo/dyadstage.py``); its
features on made-up rows (pure function), the stored weights, and the enricher's flags on real
text through the real spaCy models."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from diplowire.enrich import diplo, nlp
from diplowire.enrich.diplo import actordecision, actormodel, dyadpairs, dyadstage
from diplowire.enrich.diplo.actorfeatures import FEATURES, mention_rows
from eval import actors_train
from tests.support.mentions import mention_row as _row

FEAT = {name: i for i, name in enumerate(dyadstage.FEATURES)}


def test_features_tie_the_members_of_an_enumeration() -> None:
    # "Four states voted against: the US, the UK, France and Japan. Cuba is the target."
    rows = [
        _row("US", 5, 0, in_list=1, share_mentions=0.2),
        _row("GB", 8, 0, in_list=1, list_after_first=1, share_mentions=0.2),
        _row("FR", 11, 0, in_list=1, list_after_first=1, share_mentions=0.2),
        _row("JP", 13, 0, in_list=1, list_after_first=1, share_mentions=0.2),
        _row("CU", 20, 1, in_title=1, share_mentions=0.2),
    ]
    probs = [0.45, 0.4, 0.8, 0.9, 0.1]
    f = dyadstage.country_features(rows, probs)
    assert set(f) == {"US", "GB", "FR", "JP", "CU"}
    assert all(len(v) == len(dyadstage.FEATURES) for v in f.values())
    # Each listed state sees the best of the others in its list; the state outside it none.
    assert f["US"][FEAT["list_sibling_best"]] == 0.9
    assert f["JP"][FEAT["list_sibling_best"]] == 0.8
    assert f["US"][FEAT["listed_with_other"]] == 1 and f["CU"][FEAT["listed_with_other"]] == 0
    assert f["CU"][FEAT["list_sibling_best"]] == 0 and f["CU"][FEAT["same_sentence_best"]] == 0
    assert f["GB"][FEAT["same_sentence_best"]] == 0.9
    assert f["CU"][FEAT["in_title"]] == 1 and f["JP"][FEAT["in_title"]] == 0
    assert f["JP"][FEAT["share_mentions"]] == 0.2
    assert f["FR"][FEAT["logit_best"]] == pytest.approx(math.log(0.8 / 0.2))


def test_a_second_mention_of_a_state_counts_once() -> None:
    rows = [_row("RU", 0, 0), _row("UA", 3, 0), _row("RU", 9, 1)]
    f = dyadstage.country_features(rows, [0.2, 0.7, 0.6])
    assert f["RU"][FEAT["logit_best"]] == pytest.approx(math.log(0.6 / 0.4))
    assert f["RU"][FEAT["mean_prob"]] == pytest.approx(0.4)
    assert f["RU"][FEAT["same_sentence_best"]] == 0.7 and f["UA"][FEAT["same_sentence_best"]] == 0.6
    assert dyadstage.country_features([], []) == {}


def test_stored_second_stage_matches_its_features(tmp_path: Path) -> None:
    second = actormodel.load(dyadstage.MODEL_PATH, dyadstage.FEATURES)
    assert second.features == dyadstage.FEATURES and 0 < second.threshold < 1
    # What the stage is for: the same state is pulled up when it is listed with an acting one.
    alone = [0.0] * len(dyadstage.FEATURES)
    listed = list(alone)
    listed[FEAT["list_sibling_best"]] = 0.95
    listed[FEAT["listed_with_other"]] = 1.0
    p_alone, p_listed = second.proba(np.asarray([alone, listed]))
    assert p_listed > p_alone
    raw = json.loads(dyadstage.MODEL_PATH.read_text(encoding="utf-8"))
    raw["features"] = raw["features"][1:]
    other = tmp_path / "d.json"
    other.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(actormodel.ModelMismatch):
        actormodel.load(other, dyadstage.FEATURES)


def test_the_second_stage_decides_on_stored_weights_of_both_stages() -> None:
    # The enricher decides with both stages (enrich/diplo/actordecision.py): its flags are the
    # second stage's verdicts over the stored weights of both.
    pipeline = nlp.load("en")
    assert pipeline is not None
    text = (
        "The Security Council failed to adopt the resolution drafted by Russia. Four countries "
        "voted against: the United States, the United Kingdom, France and Japan. The text "
        "called for a ceasefire in Sudan."
    )
    doc = pipeline(text)
    rules = diplo.analyze(doc, "en", learned_actors=False)
    rows = mention_rows(doc, "en", rules)
    first = actordecision.stored_model()
    second = actormodel.load(dyadstage.MODEL_PATH, dyadstage.FEATURES)
    probs = dyadstage.state_probs(first, second, rows)
    assert set(probs) == {c.code for c in rules.countries} >= {"RU", "US", "GB", "FR", "JP"}
    assert dyadstage.actors(first, second, rows) == {
        code for code, p in probs.items() if p >= second.threshold
    }
    decision = actors_train.Decision(first, second, actordecision.stored_pairs())
    assert decision.second_stage(rows) == dyadstage.actors(first, second, rows)
    assert actordecision.stored_second() == second
    # The enricher's set is the second stage's; the pair decoding (measured in session 11, not
    # wired in) is what eval.actors_cv's decision scores beside it.
    learned = diplo.analyze(doc, "en")
    assert {c.code for c in learned.countries if c.actor} == dyadstage.actors(first, second, rows)
    assert decision.actors(rows) == dyadpairs.actors(rows, probs, actordecision.stored_pairs())


def test_train_fits_both_stages_on_out_of_fold_probabilities() -> None:
    # Made-up documents: mention feature "rule_country_actor" decides the label, so the first
    # stage learns it and the second stage learns to follow the first.
    docs = []
    rng = np.random.default_rng(5)
    for d in range(30):
        codes = ["AA", "BB", "CC"][: 2 + d % 2]
        rows, gold = [], set()
        for k, code in enumerate(codes):
            acts = bool(rng.integers(0, 2))
            rows.append(_row(code, 3 * k, 0, rule_country_actor=float(acts), doc_position=k))
            gold |= {code} if acts else set()
        docs.append(
            actors_train.DocData(
                id=str(d),
                source="dev",
                rows=tuple(rows),
                found=frozenset(codes),
                rules=frozenset(gold),
                gold=frozenset(gold),
            )
        )
    decision = actors_train.train(docs)
    assert decision.first.features == FEATURES
    assert decision.second.features == dyadstage.FEATURES
    assert decision.pairs.model.features == dyadpairs.FEATURES
    assert all(decision.actors(d.rows) == d.gold for d in docs)
    assert actors_train.train(docs) == decision  # deterministic
