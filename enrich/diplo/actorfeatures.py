"""Features of each country mention, for a learned actor classifier (issue 12 part 2).

The rules in ``countries`` and ``facts`` give one verdict per mention; here they are inputs
beside the mention's context, so a model can weigh them against cues the rules never combine:
where the mention sits (title, lede, sentence start, list position), the words around it by their
lexicon class, verb and voice cues, quotation and speech, the sentence's tense and the length of
the enumeration the mention is in (``actorcues``), what kind of list that enumeration is
(membership, examples, non-participants: ``actorlists``), and how often the state comes back.
No parser runs (``enrich.nlp.DISABLE``): syntactic roles are approximated from POS tags. The
enricher decides actors with these features (``actordecision``).

Every feature is a float in a fixed order (``FEATURES``) so weights stored as JSON line up.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from spacy.tokens import Doc

from diplowire.enrich import kb as kbmod
from diplowire.enrich.diplo import actorlists
from diplowire.enrich.diplo.actorcues import list_lengths, sentence_tense
from diplowire.enrich.diplo.context import CountryMention, Ctx
from diplowire.enrich.diplo.countries import country_mentions

if TYPE_CHECKING:
    # Type only: ``facts`` imports the learned decision, which imports this module.
    from diplowire.enrich.diplo.facts import DiploFacts

KINDS = ("name", "demonym", "capital", "seat", "org", "person")
QUOTES = frozenset({'"', "«", "»", "“", "”"})
WINDOW = 3  # tokens each side looked at for lexicon classes

FEATURES: tuple[str, ...] = (
    *(f"kind_{k}" for k in KINDS),
    "rule_mention_actor",
    "rule_mention_venue",
    "rule_mention_uncounted",
    "rule_country_actor",
    "lang_fr",
    "log_mentions",
    "share_mentions",
    "official_of_country",
    "org_of_country",
    "in_title",
    "in_lede",
    "doc_position",
    "sent_position",
    "sent_start",
    "prev_loc_prep",
    "prev_gen_prep",
    "prev_agent_prep",
    "prev_visit_prep",
    "prev_adp",
    "next_possessive",
    "agent_noun_near",
    "patient_noun_before",
    "role_before",
    "next_verb",
    "next_aux",
    "verb_within_3",
    "passive_in_sent",
    "speech_verb_in_sent",
    "in_quote",
    "in_list",
    "list_position",
    "list_after_first",
    "other_countries_in_sent",
    "country_first_in_sent",
    "former_near",
    "n_officials_doc",
    # Tense and list cues (``actorcues``, eval/LABELLING.md P5 and P3).
    "sent_past",
    "sent_present",
    "list_length",
    # What kind of list the mention's run is: membership, examples, non-participants
    # (``actorlists``, P3).
    *actorlists.FEATURES,
    # Filled only when the Doc has a dependency parse (``actors_cv --parser``); zero otherwise.
    "dep_subject",
    "dep_subject_passive",
    "dep_object",
    "dep_oblique",
    "dep_agent",
    "dep_via_modifier",
    "dep_in_conj",
    "dep_head_speech",
    "dep_head_passive",
)
SUBJ = frozenset({"nsubj", "csubj"})
SUBJ_PASS = frozenset({"nsubjpass", "nsubj:pass", "csubjpass"})
OBJ = frozenset({"dobj", "obj", "iobj", "attr"})
OBL = frozenset({"pobj", "obl", "obl:arg", "obl:mod"})
AGENT = frozenset({"obl:agent"})
MODIFIER = frozenset({"compound", "amod", "nmod", "poss", "nmod:poss", "appos", "flat:name"})
PASS_AUX_DEPS = frozenset({"auxpass", "aux:pass"})
INDEX = {name: i for i, name in enumerate(FEATURES)}


@dataclass(frozen=True, slots=True)
class MentionRow:
    """One mention of a country found in a document, with its feature vector."""

    code: str
    start: int  # token index
    features: tuple[float, ...]
    sent: int = 0  # sentence index (``Ctx.sent``): the second stage groups mentions by sentence


def _sentences(ctx: Ctx) -> dict[int, tuple[int, int]]:
    bounds: dict[int, tuple[int, int]] = {}
    for i, s in enumerate(ctx.sent):
        lo, _ = bounds.get(s, (i, i))
        bounds[s] = (lo, i + 1)
    return bounds


# The lexicon.json words this module reads (tests/enrich/test_lexicon_keys.py).
LEXICON_KEYS = ("passive_auxiliaries",)


def _is_passive(
    doc: Doc, tags: Sequence[str], lo: int, hi: int, auxiliaries: frozenset[str]
) -> bool:
    """A "be" auxiliary followed (within two tokens) by a participle: "was expelled", "a été
    convoqué" (not "a rencontré": the "have" auxiliary makes a past tense, not a passive).
    ``tags``: the coarse tags read once (``Ctx.pos``); a Token only for the auxiliaries."""
    for i in range(lo, hi):
        if tags[i] != "AUX" or doc[i].lemma_.lower() not in auxiliaries:
            continue
        for j in range(i + 1, min(i + 3, hi)):
            if tags[j] == "VERB" and "Part" in doc[j].morph.get("VerbForm", []):
                return True
    return False


def mention_rows(
    doc: Doc,
    lang: str,
    facts: DiploFacts,
    ctx: Ctx | None = None,
    mentions: list[CountryMention] | None = None,
) -> list[MentionRow]:
    """Feature rows of every mention of every country ``facts`` found (the classifier's
    candidates: the same set the trivial answer calls actors). ``facts`` must carry the rules'
    verdicts (``analyze(..., learned_actors=False)``): they are features here. ``ctx`` and
    ``mentions`` are the analysis's own, passed in so the enricher does not build them twice."""
    ctx = ctx if ctx is not None else Ctx(doc, lang)
    found = mentions if mentions is not None else country_mentions(ctx)
    by_token: dict[int, CountryMention] = {m.start: m for m in found}
    char_to_tok = {idx: i for i, idx in enumerate(doc.to_array("IDX").tolist())}
    sents = _sentences(ctx)
    title_end = ctx.title_end
    lede_sents = {s for s in sorted(set(ctx.sent))[:3]}
    total = sum(len(c.mentions) for c in facts.countries) or 1
    officials = Counter(p.country for p in facts.persons if p.country and p.role)
    orgs = Counter(o.country for o in facts.organizations if o.country)
    n_off = sum(officials.values())
    country_starts = sorted(m.start for m in by_token.values())
    parsed = doc.has_annotation("DEP")
    per_sent: dict[int, tuple[bool, bool, bool, bool]] = {}
    passive_aux = kbmod.lexicon_words(ctx.kb.lang, "passive_auxiliaries")
    # Token attributes read once (the lower forms by ``Ctx``): indexing a Doc builds a Token
    # each time, and the enricher runs this on every article.
    lower = ctx.lowers
    tags = ctx.pos
    quote = [text in QUOTES for text in ctx.texts]
    rows: list[MentionRow] = []
    spans: list[tuple[int, int, int]] = []  # per row: mention end, its sentence bounds
    for c in facts.countries:
        for mention in c.mentions:
            t = char_to_tok.get(mention.start)
            if t is None:
                continue
            v = [0.0] * len(FEATURES)

            def put(name: str, value: float | bool, vec: list[float] = v) -> None:
                vec[INDEX[name]] = float(value)

            m = by_token.get(t)
            if m is not None:
                put(f"kind_{m.kind}" if m.kind in KINDS else "kind_name", 1)
                put("rule_mention_actor", m.actor)
                put("rule_mention_venue", m.venue)
                put("rule_mention_uncounted", not m.counted)
                end = m.end
            else:
                person = any(
                    p.country == c.code and any(pm.start == mention.start for pm in p.mentions)
                    for p in facts.persons
                )
                put("kind_person" if person else "kind_org", 1)
                put("rule_mention_actor", c.actor)
                end = t + 1
            put("rule_country_actor", c.actor)
            put("lang_fr", lang == "fr")
            put("log_mentions", math.log1p(len(c.mentions)))
            put("share_mentions", len(c.mentions) / total)
            put("official_of_country", min(officials[c.code], 3) / 3)
            put("org_of_country", min(orgs[c.code], 3) / 3)
            put("n_officials_doc", min(n_off, 6) / 6)
            put("in_title", t < title_end)
            s = ctx.sent[t]
            put("in_lede", s in lede_sents)
            put("doc_position", t / max(len(doc), 1))
            lo, hi = sents[s]
            put("sent_position", (t - lo) / max(hi - lo, 1))
            put("sent_start", t - lo <= 1)
            prev = ctx.lower(t - 1)
            prev2 = ctx.lower(t - 2)
            put("prev_loc_prep", prev in ctx.loc_preps or prev2 in ctx.loc_preps)
            put("prev_gen_prep", prev in ctx.gen_preps or prev2 in ctx.gen_preps)
            put("prev_agent_prep", prev in ctx.agent_preps or prev2 in ctx.agent_preps)
            put("prev_visit_prep", prev in ctx.visit_preps or prev2 in ctx.visit_preps)
            put("prev_adp", t > 0 and tags[t - 1] == "ADP")
            put("next_possessive", ctx.lower(end) in ctx.poss)
            near = range(max(lo, t - WINDOW), min(hi, end + WINDOW))
            put("agent_noun_near", any(lower[k] in ctx.agent_nouns for k in near))
            before = range(max(lo, t - WINDOW), t)
            put("patient_noun_before", any(lower[k] in ctx.patient_nouns for k in before))
            put("role_before", any(k in ctx.role_end for k in range(t - 2, t + 1)))
            put("former_near", any(lower[k] in ctx.former for k in near))
            nxt = tags[end] if end < len(doc) else ""
            put("next_verb", nxt == "VERB")
            put("next_aux", nxt == "AUX")
            after = range(end, min(hi, end + 3))
            put("verb_within_3", any(tags[k] in {"VERB", "AUX"} for k in after))
            if s not in per_sent:
                # Sentence-wide cues, once per sentence (the enricher runs this on every article).
                per_sent[s] = (
                    _is_passive(doc, tags, lo, hi, passive_aux),
                    any(lower[k] in ctx.speech_verbs for k in range(lo, hi)),
                    *sentence_tense(doc, tags, lo, hi),
                )
            put("passive_in_sent", per_sent[s][0])
            put("speech_verb_in_sent", per_sent[s][1])
            put("sent_past", per_sent[s][2])
            put("sent_present", per_sent[s][3])
            put("in_quote", sum(quote[lo:t]) % 2 == 1)
            in_sent = [k for k in country_starts if lo <= k < hi]
            put("other_countries_in_sent", min(len(in_sent) - 1, 5) / 5 if in_sent else 0)
            put("country_first_in_sent", bool(in_sent) and in_sent[0] == t)
            pos, listed = _list_position(ctx, t, country_starts, by_token)
            put("in_list", listed)
            put("list_position", min(pos, 4) / 4)
            put("list_after_first", pos > 0)
            if parsed:
                _parse_features(doc, t, end, ctx, put)
            rows.append(MentionRow(code=c.code, start=t, features=tuple(v), sent=s))
            spans.append((end, lo, hi))
    return _with_list_kinds(_with_list_lengths(rows), spans, lower, lang)


def _with_list_kinds(
    rows: list[MentionRow], spans: list[tuple[int, int, int]], lower: list[str], lang: str
) -> list[MentionRow]:
    """Fill the ``actorlists`` cues: they read the whole run a mention belongs to."""
    after = INDEX["list_after_first"]
    cues = actorlists.list_kind_cues(
        lang,
        lower,
        [r.start for r in rows],
        [sp[0] for sp in spans],
        [bool(r.features[after]) for r in rows],
        [(sp[1], sp[2]) for sp in spans],
    )
    cols = [INDEX[name] for name in actorlists.FEATURES]
    out = []
    for r, cue in zip(rows, cues, strict=True):
        v = list(r.features)
        for col, value in zip(cols, cue, strict=True):
            v[col] = value
        out.append(MentionRow(r.code, r.start, tuple(v), r.sent))
    return out


def _with_list_lengths(rows: list[MentionRow]) -> list[MentionRow]:
    """Fill ``list_length``: it needs every mention's place in its enumeration first."""
    col, after = INDEX["list_length"], INDEX["list_after_first"]
    lengths = list_lengths(
        [r.code for r in rows], [r.start for r in rows], [bool(r.features[after]) for r in rows]
    )
    return [
        MentionRow(r.code, r.start, (*r.features[:col], n, *r.features[col + 1 :]), r.sent)
        for r, n in zip(rows, lengths, strict=True)
    ]


def _parse_features(
    doc: Doc, t: int, end: int, ctx: Ctx, put: Callable[[str, float | bool], None]
) -> None:
    """Syntactic role of the mention: its span's root, climbed through modifiers ("the Russian
    Foreign Ministry" acts through "Ministry") and conjunctions ("X, Y and Z voted")."""
    tok = doc[t]
    while tok.head.i != tok.i and t <= tok.head.i < end:
        tok = tok.head
    hops = 0
    while tok.dep_ in MODIFIER and tok.head.i != tok.i and hops < 3:
        put("dep_via_modifier", 1)
        tok, hops = tok.head, hops + 1
    while tok.dep_ == "conj" and tok.head.i != tok.i and hops < 8:
        put("dep_in_conj", 1)
        tok, hops = tok.head, hops + 1
    dep = tok.dep_
    head = tok.head
    if dep == "pobj" and head.dep_ == "agent":
        put("dep_agent", 1)
    put("dep_subject", dep in SUBJ)
    put("dep_subject_passive", dep in SUBJ_PASS)
    put("dep_object", dep in OBJ)
    put("dep_oblique", dep in OBL)
    if dep in AGENT:
        put("dep_agent", 1)
    verb = head.head if dep == "pobj" else head
    put(
        "dep_head_speech",
        verb.lemma_.lower() in ctx.speech_verbs or verb.lower_ in ctx.speech_verbs,
    )
    put("dep_head_passive", any(ch.dep_ in PASS_AUX_DEPS for ch in verb.children))


def _list_position(
    ctx: Ctx, t: int, starts: list[int], by_token: dict[int, CountryMention]
) -> tuple[int, bool]:
    """Index of the mention in a run of countries joined by commas/coordinators, and whether
    it is in such a run at all ("X, Y and Z voted against"). A run may repeat its genitive
    before each state ("aux gouvernements de l'Argentine, du Chili et de l'Uruguay", "of France
    and of Japan") when a comma or coordinator separates them: a lone genitive between two
    states ("l'ambassadeur de France de ...") joins nothing."""
    doc = ctx.doc

    def joined(a: int, b: int) -> bool:
        ma = by_token.get(a)
        end = ma.end if ma else a + 1
        separated = False
        genitive = False
        # One pass that stops at the first word no list may hold: most pairs of mentions are
        # sentences apart, and scanning each whole gap twice was a measurable share of the
        # enricher's time (bench/README.md, session 11).
        for k in range(end, b):
            tok = doc[k]
            if tok.lower_ in ctx.coord or tok.text == ",":
                separated = True
            elif tok.lower_ in ctx.gen_preps and tok.pos_ != "DET":
                genitive = True
            elif (
                # The small French model often tags an elided article "l’" as a noun; and
                # "ou encore", "ainsi que", "as well as" continue a list as a comma does.
                tok.pos_ != "DET"
                and tok.lower_ not in ctx.articles
                and tok.lower_ not in ctx.list_continuers
            ):
                return False
        return separated or not genitive

    idx = starts.index(t) if t in starts else -1
    if idx < 0:
        return 0, False
    pos = 0
    k = idx
    while k > 0 and joined(starts[k - 1], starts[k]):
        pos += 1
        k -= 1
    listed = pos > 0 or (idx + 1 < len(starts) and joined(starts[idx], starts[idx + 1]))
    return pos, listed
