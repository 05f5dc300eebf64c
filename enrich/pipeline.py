"""The enrichment step: articles in, enriched articles (or a reason to refuse) out.

Pure with respect to I/O: models are loaded once per process, texts go through ``nlp.pipe`` in
batches grouped by language, and each result is a new article value.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from diplowire.enrich import diplo, kbonly, lang, nlp
from diplowire.enrich.lemmatize import lemmas_of
from diplowire.wire.article import Article, Enrichment, Entity, replace
from diplowire.wire.clock import utc_now
from diplowire.wire.outcomes import Poison

# Bumped when the same article can come out differently, so a subscriber or a re-enrichment can
# tell outputs apart: 0.2.0 = actors by the learned classifier, lemmas for de/es/it/pt/ru;
# 0.3.0 = the actor classifier retrained, organisations by class (coordinated lists, organs, 62
# more bodies), persons' roles and cues widened; 0.4.0 = actor weights trained with wave 5,
# person/organisation/topic-cue fixes of session 7; 0.5.0 = topics by the learned decision (fr,
# en; score = its probability), session 8's person and organisation fixes, actor weights
# retrained on their features; 0.6.0 = actor weights trained on 624 re-read documents with
# tense and list-size cues, every state's leaders in the KB (a state named nowhere is not a
# country), every capital, bilateral joint bodies, military ranks, topic terms (session 9);
# 0.7.0 = the dyad second stage wired in, list-kind cues, datelines in any case, former officials
# dropped, 34 topic wordings a language and a planned-evidence topic feature, 56 organisations,
# models retrained (session 10); 0.8.0 = one id per foreign ministry (session 12; the weights
# are 0.7.0's: retrained on 816 documents they lost dyads on unseen news, eval/README); 0.9.0 =
# KB names match with accents dropped on initials and long names in any capitalisation; words of a
# title-case headline the body never prints are no person names; 0.10.0 = a run of states goes on
# through an elided article the French model tags as a noun and through "ou encore"/"as well as";
# a demonym for every state where the word names one state; country names as the press writes
# them ("les îles Marshall", Myanmar in French, Turkiye) (session 13; weights 0.7.0's).
PIPELINE_VERSION = "0.10.0"
# What each path fills (Enrichment.coverage): a subscriber tells "none found" from "not extracted".
MODEL_COVERAGE = ("entities", "countries", "dyads", "persons", "organizations", "topics", "lemmas")


def enrich_batch(
    articles: Sequence[Article],
    *,
    max_text_chars: int = 100_000,
    # Small nlp.pipe batches: ~300 MB less peak RSS than 32 at 64 articles a call, no CPU cost.
    batch_size: int = 8,
    n_process: int = 1,
    models: nlp.Models | None = None,
) -> list[Article | Poison]:
    """Each article enriched, or a Poison saying why not; ``models`` defaults to the process's
    shared ones (:func:`enrich.nlp.shared_models`)."""
    models = models if models is not None else nlp.shared_models()
    out: list[Article | Poison | None] = [None] * len(articles)
    by_lang: dict[str, list[int]] = defaultdict(list)
    detected: dict[int, tuple[str, float]] = {}
    for i, art in enumerate(articles):
        body = art.body()
        if len(body) > max_text_chars:
            out[i] = Poison(
                "oversized", f"text of {len(body)} chars over the limit of {max_text_chars}"
            )
            continue
        code, conf = lang.detect(body, art.source.lang_hint)
        detected[i] = (code, conf)
        by_lang[code].append(i)
    now = utc_now()
    for code, idxs in by_lang.items():
        pipeline = models.load(code)
        if pipeline is None and kbonly.uses_kbonly(code):
            # Languages without a NER model but with a KB folder: the KB on normalised text.
            for i in idxs:
                out[i] = _with(
                    articles[i],
                    kbonly.enrichment(articles[i], code, detected[i][1], PIPELINE_VERSION),
                    now,
                )
            continue
        if pipeline is None:
            # Languages without a model pass through with their language set.
            for i in idxs:
                out[i] = _with(
                    articles[i],
                    Enrichment(
                        pipeline_version=PIPELINE_VERSION,
                        models=(),
                        lang=code,
                        lang_confidence=detected[i][1],
                        coverage=(),
                    ),
                    now,
                )
            continue
        model_info = models.model_info(code)
        texts = [articles[i].body() for i in idxs]
        docs = pipeline.pipe(texts, batch_size=batch_size, n_process=n_process)
        for i, doc in zip(idxs, docs, strict=True):
            facts = diplo.analyze(doc, code, articles[i].published)
            out[i] = _with(
                articles[i],
                Enrichment(
                    pipeline_version=PIPELINE_VERSION,
                    models=model_info,
                    lang=code,
                    lang_confidence=detected[i][1],
                    entities=tuple(
                        Entity(label=e.label_, text=e.text, start=e.start_char, end=e.end_char)
                        for e in doc.ents
                    ),
                    countries=facts.countries,
                    dyads=facts.dyads,
                    persons=facts.persons,
                    organizations=facts.organizations,
                    topics=facts.topics,
                    lemmas=lemmas_of(doc),
                    coverage=MODEL_COVERAGE,
                ),
                now,
            )
    assert all(o is not None for o in out)
    return [o for o in out if o is not None]


def _with(article: Article, enrichment: Enrichment, now: str) -> Article:
    return replace(
        article, enrichment=enrichment, timestamps=replace(article.timestamps, enriched=now)
    )
