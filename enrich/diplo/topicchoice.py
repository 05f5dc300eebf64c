"""Which topic decision the enricher uses (issue 12 part 3): the rules (``topics.score_topics``)
or the learned decision of ``topicdecision`` over the same evidence candidates, behind one switch.

``LEARNED_TOPICS_DEFAULT`` is the default of ``diplo.analyze(..., learned_topics=None)``; the lead
flips it after scoring the two never-tuned-on sets (wave4-val, wave6-val), so the choice is one
line. The weights (``enrich/kb/topic_model.json``) are written by ``scripts/train_topics.py`` from
every document one may tune on; they were trained on French and English only, so other languages
(and a tree without the file) keep the rules' verdicts. In 5-fold CV by document over the 474
allowed documents the model is measured against the rules in ``eval/README.md``, "Topics: the
learned decision wired behind a switch (session 7)".
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from pathlib import Path

from diplowire.enrich.diplo.actormodel import read_weights, weights_json
from diplowire.enrich.diplo.context import Ctx
from diplowire.enrich.diplo.topicdecision import TopicModel
from diplowire.enrich.diplo.topicfeatures import FEATURES, topic_rows
from diplowire.enrich.diplo.topics import Evidence, score_topics
from diplowire.wire.article import Topic

# On since session 8. Session 7 left it off: on the two never-tuned-on sets (wave4-val +
# wave6-val, 170 articles) the model alone scored 0.769 against the rules' 0.745 (paired
# [-0.003, 0.052]), but on the founders' seed story, the brief's own example, it kept 2 of its 7
# gold topics, dropping the finance and flights the brief names. Session 8's decision also keeps
# what the rules keep on a text that names the topic specifically (``TopicModel.kept``): 6 of 7
# on the seed story; on wave4-val + wave6-val + the fresh wave8-val (230 articles never tuned on)
# 0.764 against the rules' 0.739, paired [0.003, 0.046]; wave8-val alone 0.754 vs 0.724.
LEARNED_TOPICS_DEFAULT = True

MODEL_PATH = Path(__file__).resolve().parent.parent / "kb" / "topic_model.json"
TRAINED_LANGS = frozenset({"fr", "en"})


class TopicModelMismatch(ValueError):
    """The stored weights were trained on another feature list than ``topicfeatures.FEATURES``."""


def to_json(model: TopicModel) -> str:
    """The stored form (the actor model's format: ``actormodel.weights_json``)."""
    return weights_json(model)


def load(path: Path = MODEL_PATH, features: tuple[str, ...] = FEATURES) -> TopicModel:
    return TopicModel(**read_weights(path, features, TopicModelMismatch, "scripts/train_topics.py"))


@cache
def stored_model() -> TopicModel | None:
    """The shipped weights, read once per process; None when the file is absent."""
    return load() if MODEL_PATH.exists() else None


def learned_topics(
    ctx: Ctx, evidence: list[Evidence], lang: str, model: TopicModel
) -> tuple[Topic, ...]:
    """The model's verdicts over the evidence candidates, with the topics the rules keep on a
    text that names them specifically (``TopicRow.named``): score = the model's probability,
    evidence the surfaces the rules would print for the topic (headline and lede first, reading
    order)."""
    rules = frozenset(t.name for t in score_topics(evidence))
    rows = topic_rows(ctx, evidence, rules, lang)
    kept = model.kept(rows)
    surfaces: dict[str, list[str]] = defaultdict(list)
    for e in sorted(evidence, key=lambda e: (not e.lead, e.sentence)):
        surfaces[e.topic].append(e.surface)
    out = [
        Topic(name=name, score=round(p, 3), evidence=tuple(dict.fromkeys(surfaces[name])))
        for name, p in kept.items()
    ]
    return tuple(sorted(out, key=lambda t: (-t.score, t.name)))


def topics_for(
    ctx: Ctx, evidence: list[Evidence], lang: str, learned: bool | None
) -> tuple[Topic, ...]:
    """The enricher's topics: the model's when switched on (``None``: the module default), the
    file is present and the language is one it was trained on; otherwise the rules'."""
    on = LEARNED_TOPICS_DEFAULT if learned is None else learned
    model = stored_model() if on and lang in TRAINED_LANGS else None
    if model is None:
        return score_topics(evidence)
    return learned_topics(ctx, evidence, lang, model)
