"""Topics from the KB's weighted topic terms and the organisations found, kept only when the
text gives evidence that the story is about them (issue 12): where the words stand and whether
they come back, not one cue word in passing."""

import math
from collections import defaultdict
from dataclasses import dataclass

from diplowire.enrich import kb as kbmod
from diplowire.enrich.diplo.context import TOPIC_THRESHOLD, Ctx, OrgFound, longest, span_code
from diplowire.wire.article import Topic

# Evidence in the headline or the lede counts half again: that is where a story
# says what it is about. Measured on wave3-dev/dev/dev2/heldout (eval/README.md, "Topics").
LEAD_FACTOR = 1.5
# A repeated word stays the same word: each repeat adds a quarter of its weight, twice at most.
REPEAT_FACTOR = 0.25
MAX_REPEATS = 2
# A topic needs either evidence in the lead or this many independent pieces (a term in a
# sentence): one cue word once, later in the text ("economic", "deal", a background "war", a
# bare UN mention), is never enough, however strong the word.
MIN_PIECES = 2
LEDE_SENTENCES = (
    2  # the lede: its first two sentences (one was as good on wave3-dev, worse on dev2)
)
ORG_WEIGHT = 1.0
# A cue word as one item of a long enumeration of fields (of cooperation, of an accord, of talking
# points) names one of many subjects in passing: it counts this share of its weight.
ENUM_FACTOR = 0.5
ENUM_GAP = 3  # the separator beside the term: within this many tokens (an article, an adjective)
ENUM_WINDOW = 12
ENUM_SEPARATORS = 4
# A full-strength term of several words ("vols aériens directs", "asset freeze", "persona non
# grata") names its subject: it is not a cue word in passing, so it stands alone anywhere. The
# founders' seed story is about flights through one such phrase deep in its text.
SPECIFIC_MIN_WORDS = 2


@dataclass(frozen=True, slots=True)
class Evidence:
    """One piece of evidence for a topic: a KB term (or an organisation) in one sentence."""

    topic: str
    weight: float
    key: str
    """The term's KB index, or ``o:<name>`` for an organisation: repeats are counted per key."""
    sentence: int
    lead: bool
    surface: str
    start: int = -1
    """Token index of the term (or the organisation's mention); -1 when it has none."""


def lead_parts(ctx: Ctx) -> tuple[frozenset[int], frozenset[int]]:
    """Sentence ids of the headline (text before the first line break) and of the lede's first
    sentence(s), apart: the learned decision (``topicfeatures``) weighs them separately. An
    article without a title starts with the break, so only the lede counts."""
    # On the texts read once (spaCy's is_space is str.isspace): this runs twice an article.
    texts = ctx.texts
    end = ctx.title_end
    title = {ctx.sent[i] for i in range(end) if not texts[i].isspace()}
    body = sorted({ctx.sent[i] for i in range(end, len(texts)) if not texts[i].isspace()} - title)
    return frozenset(title), frozenset(body[:LEDE_SENTENCES])


def lead_sentences(ctx: Ctx) -> frozenset[int]:
    """The headline's and the lede's sentence ids together: where evidence counts more."""
    title, lede = lead_parts(ctx)
    return title | lede


def evidence_of(ctx: Ctx, orgs: list[OrgFound]) -> list[Evidence]:
    lead = lead_sentences(ctx)
    out: list[Evidence] = []
    # A cue word inside an international body's name ("Economic Community of West African
    # States", "Quadrilateral Security Dialogue") names the body, not the story's subject; the
    # body adds its own topics below. A state's bodies keep theirs: a central bank or a
    # ministry of finance named in a story is evidence of finance (dev en-02).
    in_body: dict[int, frozenset[str]] = {
        i: frozenset(org.topics)
        for org in orgs
        if org.type == "international_org"
        for start, end in org.mentions
        for i in range(start, end)
    }
    for span in longest(ctx.topics):
        idx = int(span_code(span))
        term = ctx.kb.topic_terms[idx]
        if span.start in in_body and term.topic not in in_body[span.start]:
            continue
        weight = term.weight * (ENUM_FACTOR if in_enumeration(ctx, span.start, span.end) else 1.0)
        s = ctx.sent[span.start]
        out.append(
            Evidence(term.topic, weight, str(idx), s, s in lead, span.text.lower(), span.start)
        )
    for org in orgs:
        topics = list(org.topics)
        if org.type == "diplomatic_mission":
            topics.append("diplomatic_missions")
        # An organisation found without a position still counts once, outside the lead.
        places = [(ctx.sent[start], start) for start, _ in org.mentions] or [(-1, -1)]
        for t in topics:
            for s, start in places:
                out.append(Evidence(t, ORG_WEIGHT, f"o:{org.name}", s, s in lead, org.name, start))
    return out


# The lexicon.json words this module reads (tests/enrich/test_lexicon_keys.py).
LEXICON_KEYS = ("enumeration_separators",)


def in_enumeration(ctx: Ctx, start: int, end: int) -> bool:
    """The term is one item of a long enumeration ("cooperation in trade, investment, energy,
    tourism and culture", "un accord sur le tourisme, l'environnement, le commerce, la pêche"):
    a separator on each side of it (within ENUM_GAP tokens: an article, an adjective) and at
    least ENUM_SEPARATORS of them around it in its sentence. Measured on wave5-dev and wave3-dev
    (4 separators, half weight; 3 separators or no weight at all cost true topics)."""
    doc, sent = ctx.doc, ctx.sent[start]
    separators = kbmod.lexicon_words(ctx.kb.lang, "enumeration_separators")

    def sep(i: int) -> bool:
        return 0 <= i < len(doc) and sent == ctx.sent[i] and doc[i].lower_ in separators

    beside = any(sep(i) for i in range(start - ENUM_GAP, start)) and any(
        sep(i) for i in range(end, end + ENUM_GAP)
    )
    if not beside:
        return False
    around = sum(1 for i in range(start - ENUM_WINDOW, end + ENUM_WINDOW) if sep(i))
    return around >= ENUM_SEPARATORS


def score_topics(evidence: list[Evidence]) -> tuple[Topic, ...]:
    """Weight = Σ term weight × (LEAD_FACTOR in the lead) × (REPEAT_FACTOR for a repeat); a topic
    is kept at weight ≥ TOPIC_THRESHOLD when it has evidence in the lead or ≥ MIN_PIECES pieces."""
    by_topic: dict[str, list[Evidence]] = defaultdict(list)
    for e in sorted(evidence, key=lambda e: (not e.lead, e.sentence)):
        by_topic[e.topic].append(e)
    out = []
    for topic, evs in by_topic.items():
        weight = weight_of(evs)
        pieces = len({(e.key, e.sentence) for e in evs})
        in_lead = any(e.lead for e in evs)
        if weight >= TOPIC_THRESHOLD and (in_lead or pieces >= MIN_PIECES or specific(evs)):
            surfaces = tuple(dict.fromkeys(e.surface for e in evs))
            out.append(Topic(name=topic, score=round(1 - math.exp(-weight), 3), evidence=surfaces))
    return tuple(sorted(out, key=lambda t: (-t.score, t.name)))


def weight_of(evs: list[Evidence]) -> float:
    """One topic's summed weight; ``evs`` in reading order with the lead first (repeats of a
    key are discounted after its first piece)."""
    seen: dict[str, int] = defaultdict(int)
    weight = 0.0
    for e in evs:
        seen[e.key] += 1
        if seen[e.key] > 1 + MAX_REPEATS:
            continue
        w = e.weight * (LEAD_FACTOR if e.lead else 1.0)
        weight += w if seen[e.key] == 1 else w * REPEAT_FACTOR
    return weight


def specific(evs: list[Evidence]) -> bool:
    """A KB term (not an organisation) of full weight and several words among the evidence."""
    return any(
        not e.key.startswith("o:")
        and e.weight >= TOPIC_THRESHOLD
        and len(e.surface.split()) >= SPECIFIC_MIN_WORDS
        for e in evs
    )


def topics_of(ctx: Ctx, orgs: list[OrgFound]) -> tuple[Topic, ...]:
    return score_topics(evidence_of(ctx, orgs))
