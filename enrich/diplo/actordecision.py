"""The enricher's actor decision (issue 12 part 2): the learned classifier of ``actormodel`` over
the mention features of ``actorfeatures``, with the rules' verdicts as features, not as the answer.

Chosen because on cross-validation by document over the 174 documents one may tune on it beats the
trivial answer ("every country found is an actor") on actors and dyads where the rules do not
(``eval/README.md``, "Actors by a learned classifier"). Candidates are the countries the analysis
found; a state acts when one of its mentions reaches the model's threshold. The weights
(``enrich/kb/actor_model.json``) were trained on French and English only, so other languages keep
the rules' verdicts. Since session 7 they are trained on 324 documents, wave5-dev's 150 articles
from new outlets included (eval/README.md, "Actors, session 7").

A second stage over each document's states (``dyadstage``, ``enrich/kb/dyad_model.json``) is
trained and cross-validated beside it but not used: its CV gain on dyads (+0.029) was inside the
seed-to-seed range, the criterion for wiring a model in, and on the 80 never-tuned-on wave-4
articles it scored lower (dyads 0.706 against 0.734 for this classifier alone; eval/README.md).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import msgspec
from spacy.tokens import Doc

from diplowire.enrich.diplo import actormodel
from diplowire.enrich.diplo.actorfeatures import mention_rows
from diplowire.enrich.diplo.context import CountryMention, Ctx
from diplowire.wire.article import Country

if TYPE_CHECKING:
    # Type only: ``facts`` imports this module.
    from diplowire.enrich.diplo.facts import DiploFacts

TRAINED_LANGS = frozenset({"fr", "en"})


@cache
def stored_model() -> actormodel.ActorModel:
    """The shipped weights, read once per process."""
    return actormodel.load()


def learned_countries(
    doc: Doc,
    lang: str,
    rule_facts: DiploFacts,
    ctx: Ctx,
    mentions: list[CountryMention],
) -> tuple[Country, ...]:
    """``rule_facts.countries`` with ``actor`` set by the classifier (the rules' verdicts for a
    language the model was not trained on, or a country with no mention to score)."""
    if lang not in TRAINED_LANGS or not rule_facts.countries:
        return tuple(rule_facts.countries)
    model = stored_model()
    probs = model.country_probs(mention_rows(doc, lang, rule_facts, ctx, mentions))
    return tuple(
        msgspec.structs.replace(c, actor=probs[c.code] >= model.threshold) if c.code in probs else c
        for c in rule_facts.countries
    )
