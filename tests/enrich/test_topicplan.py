"""The learned topic decision's ``plan_share`` (session 10): the share of a topic's evidence
sentences telling what is planned or possible (French future or conditional, an English modal),
by morphology and tags rather than words (LABELLING.md P12: a planned visit is no
``summits_visits``). Real-looking wire sentences."""

from diplowire.enrich import nlp
from diplowire.enrich.diplo.context import Ctx
from diplowire.enrich.diplo.topicfeatures import ALL_FEATURES, FEATURES, TopicRow, topic_rows
from diplowire.enrich.diplo.topics import score_topics
from eval.topics_cv import doc_evidence


def _rows(text: str, lang: str) -> dict[str, TopicRow]:
    pipeline = nlp.load(lang)
    assert pipeline is not None
    ctx = Ctx(pipeline(text), lang)
    evidence = doc_evidence(ctx)
    rules = frozenset(t.name for t in score_topics(evidence))
    return {r.topic: r for r in topic_rows(ctx, evidence, rules, lang)}


def _plan(row: TopicRow) -> float:
    return row.features[ALL_FEATURES.index("plan_share")]


def test_planned_visit_is_told_apart_from_a_visit_that_happened() -> None:
    assert "plan_share" in FEATURES  # the stored model is trained on it
    planned = _rows(
        "Le Premier ministre se rendra à Pékin\n\n"
        "Le Premier ministre indien effectuera une visite officielle en Chine la semaine "
        "prochaine, a annoncé mardi le ministère des Affaires étrangères.",
        "fr",
    )
    done = _rows(
        "Le Premier ministre en visite à Pékin\n\n"
        "Le Premier ministre indien a effectué mardi une visite officielle en Chine, où il a "
        "rencontré le président chinois.",
        "fr",
    )
    assert _plan(planned["summits_visits"]) > 0.0
    assert _plan(done["summits_visits"]) == 0.0
    will = _rows(
        "Japan's prime minister to visit Washington\n\n"
        "Japan's prime minister will make an official visit to Washington next month, "
        "the foreign ministry said on Tuesday.",
        "en",
    )
    went = _rows(
        "Japan's prime minister visits Washington\n\n"
        "Japan's prime minister made an official visit to Washington on Tuesday and met "
        "the US president at the White House.",
        "en",
    )
    assert _plan(will["summits_visits"]) > 0.0
    assert _plan(went["summits_visits"]) == 0.0
