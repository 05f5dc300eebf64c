"""The learned topic decision's features and training (issue 12; measured by eval/topics_cv.py and
not wired in). Items are real (eval/data wave3 dev split), never a test split."""

from functools import cache

import numpy as np

from diplowire.enrich import diplo, nlp
from diplowire.enrich.diplo import topicdecision
from diplowire.enrich.diplo.context import Ctx
from diplowire.enrich.diplo.topicfeatures import ALL_FEATURES, TopicRow, topic_rows
from diplowire.enrich.diplo.topics import score_topics
from eval import evaluate
from eval.topics_cv import DocData, doc_evidence, train

EXPULSION_ITEM = "w3-as-ml-en-05"  # "India and Pakistan expel diplomats amid tensions"


@cache
def _item(item_id: str) -> dict[str, object]:
    (item,) = [i for i in evaluate.load_set("wave3-dev") if i["id"] == item_id]
    assert item["split"] == "dev"
    return item


def _rows(item_id: str) -> tuple[list[TopicRow], frozenset[str], set[str]]:
    """Rows, the rules' topics over the same evidence, and the enricher's own topics."""
    item = _item(item_id)
    lang = str(item["lang"])
    pipeline = nlp.load(lang)
    assert pipeline is not None
    doc = pipeline(f"{item['title']}\n\n{item['text']}")
    ctx = Ctx(doc, lang)
    evidence = doc_evidence(ctx)
    rules = frozenset(t.name for t in score_topics(evidence))
    enricher = {
        t.name for t in diplo.analyze(doc, lang, learned_actors=False, learned_topics=False).topics
    }
    return topic_rows(ctx, evidence, rules, lang), rules, enricher


def _value(row: TopicRow, name: str) -> float:
    return row.features[ALL_FEATURES.index(name)]


def test_features_of_a_real_article_follow_its_evidence() -> None:
    rows, rules, enricher = _rows(EXPULSION_ITEM)
    # The CV's evidence is the enricher's: the same organisation passes give the same topics.
    assert rules == enricher
    by_topic = {r.topic: r for r in rows}
    assert len(by_topic) == len(rows)
    expulsions = by_topic["expulsions"]
    assert _value(expulsions, "in_title") == 1.0  # "expel" in the headline
    assert _value(expulsions, "title_strong") == 1.0
    assert _value(expulsions, "lang_fr") == 0.0
    assert _value(expulsions, "topic_expulsions") == 1.0
    assert sum(_value(expulsions, f) for f in ALL_FEATURES if f.startswith("topic_")) == 1.0
    for row in rows:
        assert row.rule == (row.topic in rules) == bool(_value(row, "rule_kept"))
        assert 0.0 <= _value(row, "weight_share") <= 1.0
    assert sum(_value(r, "is_top") for r in rows) == 1.0


def test_training_is_deterministic_and_learns_the_labels() -> None:
    rows, rules, _ = _rows(EXPULSION_ITEM)
    gold = frozenset(_item(EXPULSION_ITEM)["gold"]["topics"])  # type: ignore[index]
    docs = [DocData(f"d{i}", "wave3-dev", "en", tuple(rows), rules, gold) for i in range(6)]
    first, second = train(docs), train(docs)
    assert first == second
    probs = first.proba(rows)
    labels = np.asarray([r.topic in gold for r in rows])
    # Fitted on this document alone, every gold topic scores above every other candidate.
    assert labels.any() and not labels.all()
    assert probs[labels].min() > probs[~labels].max()


def test_fit_of_separable_rows_puts_the_threshold_between_them() -> None:
    zero = tuple(0.0 for _ in ALL_FEATURES)
    pos = TopicRow("sanctions", True, (1.0, *zero[1:]))
    neg = TopicRow("trade_economic", False, zero)
    model = topicdecision.with_threshold(topicdecision.fit([pos, neg] * 5, [True, False] * 5), 0.5)
    assert set(model.kept([pos, neg])) == {"sanctions"}
