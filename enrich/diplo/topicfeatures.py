"""Features of each candidate topic of a document, for a learned topic decision (issue 12).

A candidate is every topic with at least one piece of evidence (``topics.evidence_of``: a KB term
or an organisation in a sentence). The rules (``topics.score_topics``) decide with a few fixed
numbers (lead factor, repeats, two pieces, a specific phrase); here the same evidence is
described by where it stands (headline, lede, how early), how much of it there is (weight,
pieces, sentences, distinct terms, repeats), how strong it is (strongest term, a multi-word
phrase, organisations only, weak words only) and how it compares with the document's other
topics (share, rank), with the rules' verdict as one feature among them, and whether its
sentences tell what is planned rather than what happened (``plan_share``: future, conditional,
modal; by morphology and tags). No word identities:
the model must not memorise the sentences it was trained on. The topic's own name is a feature
group (a per-topic prior: some topics' cue words fire in passing more than others).

Every feature is a float in a fixed order (``FEATURES``) so weights stored as JSON line up.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from diplowire.enrich.diplo.context import TOPIC_THRESHOLD, Ctx
from diplowire.enrich.diplo.topics import LEAD_FACTOR, Evidence, lead_parts, specific, weight_of

# The taxonomy (enrich/kb/README.md, "Topic taxonomy"), for the per-topic prior.
TOPICS = (
    "aviation_flights",
    "conflict_ceasefire",
    "diplomatic_missions",
    "expulsions",
    "finance_banking",
    "human_rights",
    "property_assets",
    "sanctions",
    "summits_visits",
    "talks_negotiations",
    "trade_economic",
    "treaties_agreements",
    "un_multilateral",
    "visas_travel",
)

EVIDENCE_FEATURES: tuple[str, ...] = (
    "rule_kept",
    "log_weight",
    "log_raw_weight",
    "title_weight",
    "lede_weight",
    "body_weight",
    "in_title",
    "in_lede",
    "log_pieces",
    "log_sentences",
    "sentence_share",
    "log_distinct_keys",
    "max_key_count",
    "max_term_weight",
    "specific_phrase",
    "log_org_pieces",
    "org_only",
    "weak_only",
    "weight_share",
    "rank",
    "is_top",
    "log_candidates",
    "first_position",
    "lang_fr",
    "log_doc_sentences",
    "last_position",
    "title_strong",
    "lede_strong",
    "weight_ratio_top",
    "adj_share",
    "verb_share",
    "country_sentence_share",
    "year_sentence_share",
    "plan_share",
)
# One sentence of several terms naming a topic with this much weight names it specifically
# (``names_specifically``): a full-strength term's weight in the lead. Chosen in 5-fold CV over
# the 474 allowed documents against "any two terms" and "two full-strength terms"
# (eval/README.md, "Topics: the learned decision keeps what the text names").
NAMING_WEIGHT = LEAD_FACTOR * TOPIC_THRESHOLD
TOPIC_FEATURES: tuple[str, ...] = tuple(f"topic_{t}" for t in TOPICS)
ALL_FEATURES: tuple[str, ...] = EVIDENCE_FEATURES + TOPIC_FEATURES
# The list the stored model is trained on (chosen by eval/topics_cv.py, see eval/README.md).
FEATURES: tuple[str, ...] = ALL_FEATURES


@dataclass(frozen=True, slots=True)
class TopicRow:
    topic: str
    rule: bool
    """The rules' verdict (``score_topics``): the fallback and one of the features."""
    features: tuple[float, ...]
    """Values of ``ALL_FEATURES`` in order."""
    named: bool = False
    """The rules keep the topic and the text names it specifically (``names_specifically``): the
    learned decision keeps it whatever its probability (``topicdecision.TopicModel.kept``)."""


def _raw(evs: list[Evidence]) -> float:
    """Summed weight of distinct pieces (a term once per sentence), with no factors."""
    return sum({(e.key, e.sentence): e.weight for e in evs}.values())


def _strong(evs: list[Evidence], sents: frozenset[int]) -> bool:
    """A full-strength term (not a weak cue word) in these sentences."""
    return any(e.sentence in sents and e.weight >= TOPIC_THRESHOLD for e in evs)


def _share(sents: list[int], marked: set[int]) -> float:
    return sum(s in marked for s in sents) / len(sents) if sents else 0.0


def _year(text: str) -> bool:
    """A year (1900-2099) standing alone: a sentence dated to a past year is often background."""
    return len(text) == 4 and text.isdigit() and text[:2] in ("19", "20")


def _planned(ctx: Ctx, lo: int, hi: int) -> bool:
    """A verb in the future or the conditional (French morphology) or a modal auxiliary (the
    English tag MD: will, would, could...): the sentence tells what is planned or possible, not
    what happened (a planned visit is no ``summits_visits``, LABELLING.md P12). Morphology and
    tags, not words: the same feature in both languages."""
    # Tags from the lists ``Ctx`` read once; the morphology only of the verbs.
    doc, fine, pos = ctx.doc, ctx.fine, ctx.pos
    return any(
        fine[i] == "MD"
        or (
            pos[i] in ("VERB", "AUX")
            and (
                "Fut" in doc[i].morph.get("Tense", None) or "Cnd" in doc[i].morph.get("Mood", None)
            )
        )
        for i in range(lo, hi)
    )


def names_specifically(evs: list[Evidence]) -> bool:
    """The text names the topic specifically, wherever it stands: a full-strength KB term of
    several words (``topics.specific``: "vols aériens", "asset freeze"), or one sentence naming it
    by several distinct KB terms, one of them full-strength, together worth what a full-strength
    term is worth in the lead (``NAMING_WEIGHT``: "avoirs bancaires et financiers", "propriétés
    immobilières confisquées", "visas ... voyage"; not "trade and investment", whose second word
    is a quarter-weight cue). Organisations do not count: a body names its own fields, not the
    story's."""
    terms = [e for e in evs if not e.key.startswith("o:")]
    if specific(terms):
        return True
    weights: dict[int, dict[str, float]] = defaultdict(dict)
    for e in terms:
        weights[e.sentence][e.key] = max(e.weight, weights[e.sentence].get(e.key, 0.0))
    return any(
        len(w) >= 2 and max(w.values()) >= TOPIC_THRESHOLD and sum(w.values()) >= NAMING_WEIGHT
        for w in weights.values()
    )


def topic_rows(
    ctx: Ctx, evidence: list[Evidence], rule_topics: frozenset[str], lang: str
) -> list[TopicRow]:
    """One row per topic with evidence, in the taxonomy's order of first appearance."""
    title, lede = lead_parts(ctx)
    n_sent = max(ctx.sent, default=0) + 1
    by_topic: dict[str, list[Evidence]] = defaultdict(list)
    # The same order ``score_topics`` reads them in, so ``weight_of`` is the rules' weight.
    for e in sorted(evidence, key=lambda e: (not e.lead, e.sentence)):
        by_topic[e.topic].append(e)
    weights = {t: weight_of(evs) for t, evs in by_topic.items()}
    raws = {t: _raw(evs) for t, evs in by_topic.items()}
    total_raw = sum(raws.values()) or 1.0
    ranked = sorted(weights, key=lambda t: (-weights[t], t))
    country_sents = {ctx.sent[c.start] for c in ctx.country}
    # From the texts read once, and each sentence's plan cue computed once for all its topics on
    # its own tokens only: building a Token for every word of the document, and again for every
    # topic, was most of this function's time (bench/README.md, session 11).
    year_sents = {ctx.sent[i] for i, text in enumerate(ctx.texts) if _year(text)}
    bounds: dict[int, tuple[int, int]] = {}
    for i, sent in enumerate(ctx.sent):
        bounds[sent] = (bounds.get(sent, (i, i))[0], i + 1)
    planned: dict[int, bool] = {}

    def is_planned(sent: int) -> bool:
        if sent not in planned:
            lo, hi = bounds[sent]
            planned[sent] = _planned(ctx, lo, hi)
        return planned[sent]

    rows = []
    for topic, evs in by_topic.items():
        pieces = {(e.key, e.sentence) for e in evs}
        sents = {e.sentence for e in evs}
        keys: dict[str, int] = defaultdict(int)
        for e in evs:
            keys[e.key] += 1
        terms = [e for e in evs if not e.key.startswith("o:")]
        orgs = {(e.key, e.sentence) for e in evs if e.key.startswith("o:")}
        placed = [s for s in sents if s >= 0]
        rank = ranked.index(topic)
        pos = [ctx.pos[e.start] for e in terms if e.start >= 0]
        values = {
            "rule_kept": float(topic in rule_topics),
            "log_weight": math.log1p(weights[topic]),
            "log_raw_weight": math.log1p(raws[topic]),
            "title_weight": _raw([e for e in evs if e.sentence in title]),
            "lede_weight": _raw([e for e in evs if e.sentence in lede]),
            "body_weight": math.log1p(_raw([e for e in evs if not e.lead])),
            "in_title": float(any(e.sentence in title for e in evs)),
            "in_lede": float(any(e.sentence in lede for e in evs)),
            "log_pieces": math.log1p(len(pieces)),
            "log_sentences": math.log1p(len(sents)),
            "sentence_share": len(sents) / n_sent,
            "log_distinct_keys": math.log1p(len(keys)),
            "max_key_count": float(min(max(keys.values()), 5)),
            "max_term_weight": max((e.weight for e in evs), default=0.0),
            "specific_phrase": float(specific(evs)),
            "log_org_pieces": math.log1p(len(orgs)),
            "org_only": float(not terms),
            "weak_only": float(all(e.weight < TOPIC_THRESHOLD for e in evs)),
            "weight_share": raws[topic] / total_raw,
            "rank": float(min(rank, 5)),
            "is_top": float(rank == 0),
            "log_candidates": math.log1p(len(by_topic)),
            "first_position": (min(placed) / n_sent) if placed else 1.0,
            "lang_fr": float(lang == "fr"),
            "log_doc_sentences": math.log1p(n_sent),
            "last_position": (max(placed) / n_sent) if placed else 1.0,
            "title_strong": float(_strong(evs, title)),
            "lede_strong": float(_strong(evs, lede)),
            "weight_ratio_top": weights[topic] / (weights[ranked[0]] or 1.0),
            "adj_share": pos.count("ADJ") / len(pos) if pos else 0.0,
            "verb_share": pos.count("VERB") / len(pos) if pos else 0.0,
            "country_sentence_share": _share(placed, country_sents),
            "year_sentence_share": _share(placed, year_sents),
            "plan_share": _share(placed, {s for s in placed if is_planned(s)}),
        }
        values.update({f"topic_{t}": float(t == topic) for t in TOPICS})
        rows.append(
            TopicRow(
                topic=topic,
                rule=topic in rule_topics,
                features=tuple(values[f] for f in ALL_FEATURES),
                named=topic in rule_topics and names_specifically(evs),
            )
        )
    return rows
