"""The enricher's actor decision (issue 12 part 2): the learned classifier of ``actormodel`` over
the mention features of ``actorfeatures``, with the rules' verdicts as features, not as the answer.

Chosen because on cross-validation by document over the 174 documents one may tune on it beats the
trivial answer ("every country found is an actor") on actors and dyads where the rules do not
(``eval/README.md``, "Actors by a learned classifier"). Candidates are the countries the analysis
found; the first stage gives each of their mentions a probability. The weights
(``enrich/kb/actor_model.json``) were trained on French and English only, so other languages keep
the rules' verdicts. They are trained on the 624 DEV documents (``scripts/train_actors.py``).

A second stage over each document's states (``dyadstage``, ``enrich/kb/dyad_model.json``) then
reads each state's first-stage probability beside those of the states listed or named with it, and
decides. Measured and left out while the data was 174 and 324 documents (its CV gain on dyads was
inside the seed-to-seed range, and on wave4-val it scored lower); wired in since session 10: on
the 624 re-read DEV documents, with enumerations that repeat their genitive joined as lists,
both stages beat the first stage alone on actors and dyads on every fold seed
(``eval/results/actors-dyads-2026-12-01.txt``); a state acts when its second-stage
probability reaches the stage's stored threshold.

Session 11 measured a third step, the pair decoding of ``dyadpairs``
(``enrich/kb/pair_model.json``: a state is kept when it pays for itself and for the pairs it adds).
It gained dyads on cross-validation over 20 fold seeds (0.723 -> 0.741,
``eval/results/dyads-session11-2026-12-01.txt``) but lost them on the 407 never-tuned-on articles
(0.761 -> 0.745, paired [-0.036, 0.002]; on the 327 older ones [-0.047, -0.001]:
``eval/results/unseen407-release7-vs-pairs-2026-12-01.txt``), so it stays off
(``PAIR_DECODING``), kept measurable by ``eval.actors_cv``.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import msgspec
from spacy.tokens import Doc

from diplowire.enrich.diplo import actormodel, dyadpairs, dyadstage
from diplowire.enrich.diplo.actorfeatures import mention_rows
from diplowire.enrich.diplo.context import CountryMention, Ctx
from diplowire.wire.article import Country

if TYPE_CHECKING:
    # Type only: ``facts`` imports this module.
    from diplowire.enrich.diplo.facts import DiploFacts

TRAINED_LANGS = frozenset({"fr", "en"})
PAIR_DECODING = False
"""Decide the set by ``dyadpairs`` rather than by the second stage's threshold: off, it did not
carry over to unseen news (module docstring)."""


@cache
def stored_model() -> actormodel.ActorModel:
    """The shipped weights, read once per process."""
    return actormodel.load()


@cache
def stored_second() -> actormodel.ActorModel:
    """The second stage's shipped weights (``dyadstage``), read once per process."""
    return actormodel.load(dyadstage.MODEL_PATH, dyadstage.FEATURES)


@cache
def stored_pairs() -> dyadpairs.PairModel:
    """The pair decoding's shipped weights and numbers (``dyadpairs``), read once per process."""
    return dyadpairs.load()


def learned_countries(
    doc: Doc,
    lang: str,
    rule_facts: DiploFacts,
    ctx: Ctx,
    mentions: list[CountryMention],
) -> tuple[Country, ...]:
    """``rule_facts.countries`` with ``actor`` set by the classifier's two stages (the rules'
    verdicts for a language the model was not trained on, or a country with no mention to
    score)."""
    if lang not in TRAINED_LANGS or not rule_facts.countries:
        return tuple(rule_facts.countries)
    rows = mention_rows(doc, lang, rule_facts, ctx, mentions)
    second = stored_second()
    probs = dyadstage.state_probs(stored_model(), second, rows)
    if PAIR_DECODING:
        acting = dyadpairs.actors(rows, probs, stored_pairs())
    else:
        acting = {code for code, p in probs.items() if p >= second.threshold}
    return tuple(
        msgspec.structs.replace(c, actor=c.code in acting) if c.code in probs else c
        for c in rule_facts.countries
    )
