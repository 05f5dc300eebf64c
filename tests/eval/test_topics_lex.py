"""The lexical topic model of eval/topics_lex.py (issue 12, session 7; measured, not wired in).
The real item is from the wave3 dev split, never a test split."""

from functools import cache

import numpy as np

from diplowire.enrich.diplo.topicfeatures import EVIDENCE_FEATURES, TOPICS
from eval import evaluate
from eval import topics_lex as tl

EXPULSION_ITEM = "w3-as-ml-en-05"  # "India and Pakistan expel diplomats amid tensions"


@cache
def _item() -> dict[str, object]:
    (item,) = [i for i in evaluate.load_set("wave3-dev") if i["id"] == EXPULSION_ITEM]
    assert item["split"] == "dev"
    return item


def _doc() -> tl.LexDoc:
    (doc,) = tl.build([("wave3-dev", _item())])
    return doc


def test_features_of_a_real_article_are_deterministic_and_placed() -> None:
    doc = _doc()
    counts = tl.lemma_counts(doc)
    assert counts == tl.lemma_counts(_doc())  # a second spaCy pass gives the same features
    # "expel" stands in the headline, in English lemma form, keyed by part and language.
    assert "lead:en:expel" in counts
    assert not any(k.split(":")[1] != "en" for k in counts)
    for part in ("lead", "body"):
        vals = [v for k, v in counts.items() if k.startswith(part + ":")]
        assert vals and abs(sum(v * v for v in vals) - 1.0) < 1e-9
    ev = tl.evidence_matrix(doc)
    assert ev.shape == (len(TOPICS), len(EVIDENCE_FEATURES) + 1)
    with_evidence = {r.topic for r in doc.base.rows}
    assert "expulsions" in with_evidence
    for t, topic in enumerate(TOPICS):
        # every topic has a row; those without evidence are zeros with the no-evidence flag
        assert ev[t, -1] == float(topic not in with_evidence)
        if topic not in with_evidence:
            assert not ev[t, :-1].any()


def test_a_separable_toy_set_is_learned_from_words_alone() -> None:
    # Topic 0 is present exactly when lemma 0 is in the document; no evidence anywhere.
    rng = np.random.default_rng(3)
    n, vocab = 40, 6
    lex = rng.random((n, vocab)) * 0.2
    on = np.arange(n) % 2 == 0
    lex[on, 0] = 1.0
    lex[~on, 0] = 0.0
    y = np.zeros((n, len(TOPICS)))
    y[on, 0] = 1.0
    ev = np.zeros((n, len(TOPICS), len(EVIDENCE_FEATURES) + 1))
    ev[:, :, -1] = 1.0
    model = tl.fit(ev, lex, y, l2_lex=1.0, steps=300)
    p = model.proba(ev, lex)
    assert (p[on, 0] > 0.8).all() and (p[~on, 0] < 0.2).all()
    assert (p[:, 1:] < 0.2).all()
    again = tl.fit(ev, lex, y, l2_lex=1.0, steps=300)
    assert np.array_equal(again.v, model.v)  # deterministic
    data = tl.Data(ev, lex, y, tuple(str(i) for i in range(vocab)))
    preds = tl.cross_validate(data, 4, seed=12, grid=(1.0,))
    assert preds == [{TOPICS[0]} if o else set() for o in on]
