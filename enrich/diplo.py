"""Diplomatic facts from a spaCy Doc: countries (actors vs places), dyads, officials, organisations
and topics.

``configure`` adds one component, ``diplo_kb``, to a language's pipeline: a PhraseMatcher fed by
the knowledge base in ``enrich/kb/<lang>/`` that stores its hits in ``doc.spans["diplo"]`` (so they
survive ``nlp.pipe(n_process>1)``). ``analyze`` then combines those hits with the statistical NER
and the POS tags through cheap, local rules; it needs no parser. Every language-specific word the
rules look at comes from the KB (``lexicon.json``), so adding a language is adding data.
"""

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from email.utils import parsedate_to_datetime
from itertools import combinations

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, SpanGroup

from diplowire.enrich import kb as kbmod
from diplowire.enrich.kb import KnowledgeBase, OrgEntry, apostrophe_variants, norm
from diplowire.wire.article import Country, Mention, Organization, Person, Topic

SPAN_KEY = "diplo"
COMPONENT = "diplo_kb"
PERSON_LABELS = frozenset({"PER", "PERSON"})
PLACE_LABELS = frozenset({"LOC", "GPE", "FAC"})
TOPIC_THRESHOLD = 1.0
# A role word this far (in tokens) left of a name still names that person's office.
ROLE_WINDOW = 16
POSTED_ROLES = frozenset({"ambassador", "consul", "envoy", "chargé_d_affaires", "diplomat"})
SENT_END = frozenset({".", "!", "?", "…"})


@dataclass(frozen=True, slots=True)
class DiploFacts:
    countries: tuple[Country, ...] = ()
    dyads: tuple[str, ...] = ()
    persons: tuple[Person, ...] = ()
    organizations: tuple[Organization, ...] = ()
    topics: tuple[Topic, ...] = ()


# --------------------------------------------------------------------------- matcher component


class _Matchers:
    """The KB compiled into one PhraseMatcher per vocab; labels carry the payload."""

    def __init__(self, nlp: Language, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        # Patterns are grouped by label so each add() call tokenises a batch.
        groups: dict[str, list[str]] = defaultdict(list)
        for cf in kb.country_forms:
            groups[f"C|{cf.code}|{cf.kind}|{cf.form}"].append(cf.form)
        for org in kb.orgs:
            for form in (org.canonical, *org.aliases):
                groups[f"O|{org.id}|{form}"].append(form)
        for i, head in enumerate(kb.org_heads):
            groups[f"H|{i}|{head.form}"].append(head.form)
        for i, role in enumerate(kb.roles):
            groups[f"R|{i}|{role.form}"].append(role.form)
        for i, person in enumerate(kb.persons):
            for form in (person.canonical, *person.aliases):
                groups[f"P|{i}|{form}"].append(form)
        for i, term in enumerate(kb.topic_terms):
            for form in term.forms:
                groups[f"T|{i}|{form}"].append(form)
        for label, forms in groups.items():
            variants = [v for f in forms for v in apostrophe_variants(f)]
            self.matcher.add(label, [nlp.make_doc(v) for v in variants])

    def __call__(self, doc: Doc) -> Doc:
        spans = [
            Span(doc, start, end, label=mid)
            for mid, start, end in self.matcher(doc)
            if _case_ok(doc[start:end].text, doc.vocab.strings[mid].rsplit("|", 1)[1])
        ]
        doc.spans[SPAN_KEY] = SpanGroup(doc, name=SPAN_KEY, spans=spans)
        return doc


def _case_ok(text: str, form: str) -> bool:
    """Forms with several capitals match exactly; capitalised ones only capitalised ("us")."""
    if sum(1 for c in form if c.isupper()) >= 2:
        return text.replace("’", "'") == form.replace("’", "'")
    if form[:1].isupper():
        return text[:1].isupper()
    return True


_MATCHERS: dict[tuple[int, str], _Matchers] = {}


def _matchers_for(nlp_vocab_id: int, lang: str) -> _Matchers | None:
    return _MATCHERS.get((nlp_vocab_id, lang))


# This module has no ``from __future__ import annotations``: spaCy (3.8.6) validates factory
# arguments with pydantic v1, which cannot resolve postponed (string) annotations like "Language".
@Language.factory(COMPONENT, default_config={"lang": "en"})
def _make_component(nlp: Language, name: str, lang: str) -> _Matchers:
    key = (id(nlp.vocab), lang)
    if key not in _MATCHERS:
        _MATCHERS[key] = _Matchers(nlp, kbmod.load(lang))
    return _MATCHERS[key]


def configure(nlp: Language, lang: str) -> None:
    """Add the KB matcher to a freshly loaded pipeline (idempotent)."""
    if COMPONENT not in nlp.pipe_names:
        nlp.add_pipe(COMPONENT, last=True, config={"lang": lang})


def _hits(doc: Doc, lang: str) -> list[Span]:
    if SPAN_KEY not in doc.spans:
        matchers = _matchers_for(id(doc.vocab), lang)
        if matchers is None:
            return []
        matchers(doc)
    return list(doc.spans[SPAN_KEY])


# --------------------------------------------------------------------------- analysis helpers


@dataclass(slots=True)
class _CMention:
    code: str
    kind: str
    start: int
    end: int
    actor: bool = False
    venue: bool = False
    counted: bool = True


@dataclass(slots=True)
class _Org:
    key: str
    name: str
    type: str
    country: str | None
    city: str | None
    kind: str
    host: str | None
    mentions: list[tuple[int, int]] = field(default_factory=list)
    topics: tuple[str, ...] = ()


@dataclass(slots=True)
class _Person:
    name: str
    start: int
    end: int
    kb_index: int | None = None
    role: str | None = None
    country: str | None = None
    posted_to: str | None = None
    official: bool = False
    spans: list[tuple[int, int]] = field(default_factory=list)
    title_only: bool = False  # found only in the headline; kept when a role in the lede binds it


class _Ctx:
    """Per-document view: sentence ids, lexicon sets and the KB hits by category."""

    def __init__(self, doc: Doc, lang: str) -> None:
        self.doc = doc
        self.kb = kbmod.load(lang)
        kb = self.kb
        self.loc_preps = kb.words("locative_preps")
        self.gen_preps = kb.words("genitive_preps")
        self.articles = kb.words("genitive_articles")
        self.portfolio = kb.words("portfolio_preps")
        self.agent_preps = kb.words("agent_preps")
        self.coord = kb.words("coordinators")
        self.pronouns = kb.words("org_pronouns")
        self.city_nouns = kb.words("city_nouns")
        self.poss = kb.words("possessive_markers")
        self.blockers = kb.words("person_blockers")
        self.honorifics = frozenset(kb.lexicon.get("honorifics", []))
        self.agent_nouns = kb.words("agent_nouns")
        self.speech_verbs = kb.words("speech_verbs")
        self.speech_preps = kb.words("speech_preps")
        self.non_official = kb.words("non_official_nouns")
        self.official_heads = kb.words("official_heads")
        self.visit_nouns = kb.words("visit_nouns")
        self.visit_preps = kb.words("visit_preps")
        self.ruling_nouns = kb.words("ruling_nouns")
        self.former = kb.words("former_markers")
        self.patient_nouns = kb.words("patient_nouns")
        self.sent = _sentence_ids(doc)
        self.country: list[Span] = []
        self.orgs: list[Span] = []
        self.heads: list[Span] = []
        self.roles: list[Span] = []
        self.persons: list[Span] = []
        self.topics: list[Span] = []
        for span in _hits(doc, lang):
            cat = span.label_[0]
            {
                "C": self.country,
                "O": self.orgs,
                "H": self.heads,
                "R": self.roles,
                "P": self.persons,
                "T": self.topics,
            }[cat].append(span)
        self.orgs = _longest(self.orgs)
        self.roles = _longest(self.roles)
        self.heads = [h for h in _longest(self.heads) if not _inside_any(h, self.roles)]
        self.heads = [h for h in self.heads if not _inside_any(h, self.orgs)]
        self.country = [c for c in _longest(self.country) if not _inside_any(c, self.orgs)]
        self.country_at: dict[int, Span] = {}
        for c in self.country:
            for i in range(c.start, c.end):
                self.country_at[i] = c
        self.org_at: dict[int, Span] = {}
        for o in self.orgs:
            for i in range(o.start, o.end):
                self.org_at[i] = o
        self.role_end = {r.end for r in self.roles}

    def lower(self, i: int) -> str:
        return self.doc[i].lower_ if 0 <= i < len(self.doc) else ""

    def same_sent(self, i: int, j: int) -> bool:
        return self.sent[i] == self.sent[j]


def _sentence_ids(doc: Doc) -> list[int]:
    # Without the parser spaCy has no sentences; punctuation and line breaks are enough here.
    ids = []
    current = 0
    for tok in doc:
        ids.append(current)
        if tok.text in SENT_END or (tok.is_space and "\n" in tok.text):
            current += 1
    return ids


def _longest(spans: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    for s in sorted(spans, key=lambda s: (-(s.end - s.start), s.start)):
        if all(s.end <= o.start or s.start >= o.end for o in out):
            out.append(s)
    return sorted(out, key=lambda s: s.start)


def _inside_any(span: Span, others: Iterable[Span]) -> bool:
    return any(o.start <= span.start and span.end <= o.end and o != span for o in others)


def _payload(span: Span) -> list[str]:
    return span.label_.split("|")


def _code(span: Span) -> str:
    return _payload(span)[1]


def _kind(span: Span) -> str:
    return _payload(span)[2]


# --------------------------------------------------------------------------- countries


def _country_mentions(ctx: _Ctx) -> list[_CMention]:
    doc = ctx.doc
    out: list[_CMention] = []
    for span in ctx.country:
        kind = _kind(span)
        m = _CMention(_code(span), kind, span.start, span.end)
        prev = ctx.lower(span.start - 1)
        prev2 = ctx.lower(span.start - 2)
        if kind == "capital":
            if _is_dateline(doc, span):
                continue
            if prev in ctx.loc_preps or (prev in ctx.articles and prev2 in ctx.loc_preps):
                m.counted = False  # a city where something happens, not the state
            elif prev == "," and span.start >= 2 and doc[span.start - 2].is_title:
                m.counted = False  # "Seattle, Washington": a locator
            else:
                m.actor = True
        elif kind == "seat":
            m.actor = True
        elif kind == "demonym":
            m.actor = _demonym_is_actor(ctx, span)
        else:
            m.venue = _is_locator(ctx, span)
            m.actor = not m.venue and _name_is_actor(ctx, span)
        out.append(m)
    _propagate_coordination(ctx, out)
    return out


def _is_dateline(doc: Doc, span: Span) -> bool:
    # "MOSCOW, April 26. /TASS/" or "BAGHDAD (Reuters) -": the dateline names where it was filed.
    return span.text.isupper() and len(span.text) > 3


def _is_locator(ctx: _Ctx, span: Span) -> bool:
    """The country only locates a city ("la plus grande ville de Türkiye", "Mosul, Iraq")."""
    doc = ctx.doc
    i = span.start - 1
    if ctx.lower(i) in ctx.articles:
        i -= 1
    if ctx.lower(i) in ctx.gen_preps:
        j = i - 1
        while j >= 0 and j >= i - 2 and doc[j].pos_ == "ADJ":
            j -= 1
        if ctx.lower(j) in ctx.city_nouns:
            return True
    if ctx.lower(span.start - 1) in {",", "("} and span.start >= 2:
        before = doc[span.start - 2]
        if before.is_title and before.pos_ == "PROPN" and (span.start - 2) not in ctx.country_at:
            ents = {e.label_ for e in doc.ents if e.start <= span.start - 2 < e.end}
            if ents & PLACE_LABELS or before.ent_type_ == "" or before.ent_type_ in PLACE_LABELS:
                return True
    return False


def _demonym_is_actor(ctx: _Ctx, span: Span) -> bool:
    doc = ctx.doc
    window = [span.start - 1, span.start - 2, span.end, span.end + 1]
    for i in window:
        if 0 <= i < len(doc) and doc[i].lower_ in ctx.agent_nouns:
            # "la partie russe", "Russian Foreign Ministry", "forces israéliennes" -- but not
            # former officials ("anciens diplomates libyens", "ex-diplomates"): they act for no one.
            return not _former(ctx, i)
    # A demonym used as a noun and subject: "les Russes ont ...".
    return span.text[:1].isupper() and _followed_by_verb(ctx, span.end)


def _former(ctx: _Ctx, i: int) -> bool:
    doc = ctx.doc
    for k in (i - 1, i - 2):
        if 0 <= k < len(doc) and ctx.same_sent(k, i):
            low = doc[k].lower_
            if low in ctx.former or any(low.startswith(f + "-") for f in ctx.former):
                return True
    low = doc[i].lower_
    return any(low.startswith(f + "-") for f in ctx.former)


def _name_is_actor(ctx: _Ctx, span: Span) -> bool:
    doc = ctx.doc
    nxt = ctx.lower(span.end)
    if nxt in ctx.poss and ctx.poss:
        # "Iran's deputy foreign minister", "Russia's invasion".
        return any(ctx.lower(span.end + k) in ctx.agent_nouns for k in (1, 2, 3))
    i = span.start - 1
    while i >= 0 and doc[i].pos_ == "DET":
        i -= 1
    if ctx.lower(i) in ctx.agent_preps:
        return True
    head = ctx.lower(i - 1)
    if ctx.lower(i) in ctx.gen_preps and (
        (head in ctx.agent_nouns and head not in ctx.patient_nouns) or i in ctx.role_end
    ):
        # "le représentant de la France", "the government of Iraq", "l'émir du Qatar" (a KB
        # role title right before the genitive); not "the invasion of Ukraine" (the genitive of
        # an action noun names its target).
        return True
    if _hosts_visit(ctx, i) or _ruled_from(ctx, i):
        return True
    # Quotes and other punctuation mis-tagged as ADP ("«La Suisse est ...") are no preposition.
    prev_is_prep = i >= 0 and doc[i].pos_ == "ADP" and doc[i].is_alpha
    return not prev_is_prep and _followed_by_verb(ctx, span.end)


def _hosts_visit(ctx: _Ctx, i: int) -> bool:
    """ "first visit to Nepal", "sa visite en Iran": the state receiving a visit takes part."""
    return (
        ctx.lower(i) in ctx.visit_preps
        and ctx.lower(i - 1) in ctx.visit_nouns
        and ctx.same_sent(i - 1, i)
    )


def _ruled_from(ctx: _Ctx, i: int) -> bool:
    """ "la junte au pouvoir au Burkina Faso", "the authorities in Kabul": whoever governs there."""
    return ctx.lower(i) in ctx.loc_preps and ctx.lower(i - 1) in ctx.ruling_nouns


def _followed_by_verb(ctx: _Ctx, i: int) -> bool:
    doc = ctx.doc
    j = i
    steps = 0
    while j < len(doc) and steps < 8:
        tok = doc[j]
        if tok.pos_ in {"VERB", "AUX"}:
            return True
        if tok.lower_ in ctx.coord and tok.text != "," and _verb_next(ctx, j + 1):
            # "visit Russia and return", "North Korea and sent it": a coordinated verb phrase,
            # so the country ends a clause (an object), it is no subject.
            return False
        if j in ctx.country_at or tok.lower_ in ctx.coord or tok.pos_ in {"DET", "ADV", "PART"}:
            j += 1
            steps += 1
            continue
        if tok.pos_ == "PRON" and steps == 0:
            j += 1
            steps += 1
            continue
        return False
    return False


def _verb_next(ctx: _Ctx, j: int) -> bool:
    doc = ctx.doc
    while j < len(doc) and doc[j].pos_ in {"ADV", "PART"}:
        j += 1
    return j < len(doc) and doc[j].pos_ in {"VERB", "AUX"}


def _propagate_coordination(ctx: _Ctx, mentions: list[_CMention]) -> None:
    """ "Les États-Unis et la Russie ont ...": a coordinated chain shares its actor status."""
    doc = ctx.doc
    by_start = sorted(mentions, key=lambda m: m.start)
    chain: list[_CMention] = []

    def flush() -> None:
        if len(chain) > 1 and any(m.actor for m in chain if m.kind == "name"):
            for m in chain:
                if m.kind == "name" and not m.venue:
                    m.actor = True
        chain.clear()

    for m in by_start:
        if chain:
            gap = range(chain[-1].end, m.start)
            if all(doc[k].lower_ in ctx.coord or doc[k].pos_ == "DET" for k in gap):
                chain.append(m)
                continue
            flush()
        chain.append(m)
    flush()


# --------------------------------------------------------------------------- organisations


def _org_key_for(entry: OrgEntry) -> str:
    return f"id:{entry.id}"


def _named_orgs(ctx: _Ctx) -> list[_Org]:
    out = []
    for span in ctx.orgs:
        entry = ctx.kb.orgs_by_id[_code(span)]
        country = entry.country
        if country is None and entry.type != "international_org":
            country = _adjacent_country(ctx, span.start, span.end)
        out.append(
            _Org(
                key=_org_key_for(entry),
                name=entry.canonical,
                type=entry.type,
                country=country,
                city=None,
                kind=entry.type,
                host=None,
                mentions=[(span.start, span.end)],
                topics=entry.topics,
            )
        )
    return out


def _agency_orgs(ctx: _Ctx) -> list[_Org]:
    """NER organisations that name a state body: "National Welfare Fund", "agence nationale ..."."""
    heads = ctx.kb.words("agency_heads")
    markers = ctx.kb.words("state_markers")
    out = []
    for ent in ctx.doc.ents:
        if ent.label_ != "ORG" or any(i in ctx.org_at for i in range(ent.start, ent.end)):
            continue
        if any(h.start < ent.end and ent.start < h.end for h in ctx.heads):
            continue
        toks = [t for t in ent if not (t.lower_ in ctx.articles or t.pos_ == "DET")]
        if not toks or not any(t.lower_ in heads for t in toks):
            continue
        country = _adjacent_country(ctx, ent.start, ent.end)
        inner = [ctx.country_at[t.i] for t in toks if t.i in ctx.country_at]
        if inner:
            country = _code(inner[0])
        if toks[0].lower_ not in markers and country is None:
            continue
        name = ctx.doc[toks[0].i : toks[-1].i + 1].text
        out.append(
            _Org(
                key=f"other:{country}:{norm(name)}",
                name=name,
                type="other",
                country=country,
                city=None,
                kind="agency",
                host=None,
                mentions=[(ent.start, ent.end)],
            )
        )
    return out


def _adjacent_country(ctx: _Ctx, start: int, end: int) -> str | None:
    for i in (start - 1, end, end + 1):
        c = ctx.country_at.get(i)
        if c is not None and _kind(c) in {"demonym", "name"}:
            return _code(c)
    return None


def _country_list_after(ctx: _Ctx, i: int) -> tuple[list[Span], int]:
    """'du Canada, des Pays-Bas et de Nouvelle-Zélande' → the country spans and where it ends."""
    doc = ctx.doc
    found: list[Span] = []
    j = i
    while j < len(doc):
        k = j
        if doc[k].lower_ in ctx.coord and found:
            k += 1
        if k < len(doc) and doc[k].lower_ in ctx.gen_preps:
            k += 1
        elif not found and ctx.gen_preps and k < len(doc) and doc[k].lower_ not in ctx.gen_preps:
            # Only lists introduced by a genitive ("of X", "de X").
            return found, j
        while k < len(doc) and doc[k].lower_ in ctx.articles:
            k += 1
        c = ctx.country_at.get(k)
        if c is None or _kind(c) not in {"name", "capital"} or c.start != k:
            break
        found.append(c)
        j = c.end
    return found, j


def _place_after(ctx: _Ctx, i: int) -> tuple[str | None, str | None, int]:
    """'à Washington' / 'in the Russian Federation' / 'au Liban' → (city, host code, end)."""
    doc = ctx.doc
    if ctx.lower(i) not in ctx.loc_preps:
        return None, None, i
    k = i + 1
    while k < len(doc) and doc[k].lower_ in ctx.articles:
        k += 1
    c = ctx.country_at.get(k)
    if c is not None and c.start == k:
        if _kind(c) == "capital":
            return c.text, _code(c), c.end
        if _kind(c) == "name":
            return None, _code(c), c.end
    if k in ctx.org_at:
        return None, None, i  # "à l'ONU": posted to an organisation, not a place
    end = k
    while end < len(doc) and doc[end].is_title and doc[end].pos_ in {"PROPN", "NOUN", "ADJ"}:
        end += 1
        if end - k >= 3:
            break
    if end > k:
        return doc[k:end].text, None, end
    return None, None, i


def _composed_orgs(ctx: _Ctx) -> list[_Org]:
    doc = ctx.doc
    kb = ctx.kb
    out: list[_Org] = []
    last_mission_head: tuple[int, str] | None = None
    for h in ctx.heads:
        head = kb.org_heads[int(_code(h))]
        kind, typ = head.kind, head.type
        senders: list[Span] = []
        start, end = h.start, h.end
        # Sender before the head: "Russian Embassy", "U.S. Embassy", "Russia's embassy".
        b = h.start - 1
        if ctx.lower(b) in ctx.poss:
            b -= 1
        if b >= 0 and b in ctx.country_at and _kind(ctx.country_at[b]) in {"name", "demonym"}:
            c = ctx.country_at[b]
            senders.append(c)
            start = c.start
        # Sender right after the head: "consulat russe", "ministère russe des Affaires...".
        if not senders and end in ctx.country_at and _kind(ctx.country_at[end]) == "demonym":
            c = ctx.country_at[end]
            senders.append(c)
            end = c.end
        if kind == "ministry" and senders:
            rest = " ".join(t.lower_ for t in doc[end : end + 4])
            for other in kb.org_heads:
                tail = norm(other.form).split(" ", 1)
                if (
                    other.kind == "foreign_ministry"
                    and len(tail) == 2
                    and norm(rest).startswith(tail[1])
                ):
                    kind, typ = "foreign_ministry", "foreign_ministry"
                    end += len(tail[1].split(" "))
                    break
        if not senders:
            listed, list_end = _country_list_after(ctx, end)
            if listed:
                senders = listed if head.plural else listed[:1]
                end = list_end if head.plural else senders[0].end
        if not senders and head.plural is False and typ == "diplomatic_mission":
            continue
        if head.plural and not senders:
            continue
        if kind == "ministry" and not senders:
            continue
        # Named portfolio for other ministries: "Ministry of Finance", "ministère de la Défense".
        if kind == "ministry" and ctx.lower(end) in ctx.gen_preps:
            k = end + 1
            while k < len(doc) and doc[k].lower_ in ctx.articles:
                k += 1
            if k < len(doc) and doc[k].is_title and k not in ctx.country_at:
                end = k + 1
        city, host, place_end = _place_after(ctx, end)
        if typ == "diplomatic_mission":
            end = max(end, place_end)
            last_mission_head = (h.start, kind)
        for s in senders:
            code = _code(s)
            if code == host:
                host = None
            span_start = min(start, h.start)
            name = _strip_article(ctx, doc[span_start:end]) if len(senders) == 1 else None
            if name is None:
                name = f"{h.text} {s.text}" if s.start > h.start else f"{s.text} {h.text}"
            out.append(
                _Org(
                    key=_mission_key(typ, kind, code, city, name),
                    name=name,
                    type=typ,
                    country=code,
                    city=city if typ == "diplomatic_mission" else None,
                    kind=kind,
                    host=host,
                    mentions=[(span_start, end)],
                )
            )
    # "partagé par celles de la Norvège et de la Finlande": pronoun standing for missions.
    if last_mission_head is not None:
        for i, tok in enumerate(doc):
            if tok.lower_ in ctx.pronouns and tok.lower_:
                listed, _ = _country_list_after(ctx, i + 1)
                mission_before = any(
                    h.start < i and ctx.same_sent(h.start, i)
                    for h in ctx.heads
                    if kb.org_heads[int(_code(h))].type == "diplomatic_mission"
                )
                if not mission_before:
                    continue
                for s in listed:
                    code = _code(s)
                    head_word = next(
                        h.text.rstrip("s")
                        for h in ctx.heads
                        if h.start < i and kb.org_heads[int(_code(h))].type == "diplomatic_mission"
                    )
                    out.append(
                        _Org(
                            key=_mission_key("diplomatic_mission", "embassy", code, None, ""),
                            name=f"{head_word} {ctx.doc[s.start - 1].text} {s.text}".strip(),
                            type="diplomatic_mission",
                            country=code,
                            city=None,
                            kind="embassy",
                            host=None,
                            mentions=[(s.start, s.end)],
                        )
                    )
    return out


def _strip_article(ctx: _Ctx, span: Span) -> str:
    toks = list(span)
    while toks and (toks[0].lower_ in ctx.articles or toks[0].pos_ == "DET"):
        toks = toks[1:]
    if not toks:
        return span.text
    return ctx.doc[toks[0].i : toks[-1].i + 1].text


def _mission_key(typ: str, kind: str, code: str, city: str | None, name: str) -> str:
    if typ == "diplomatic_mission":
        if kind == "consulate" and city:
            return f"mission:{code}:consulate:{norm(city)}"
        return f"mission:{code}:{kind}"
    if typ == "foreign_ministry":
        return f"mfa:{code}"
    return f"other:{code}:{norm(name)}"


def _merge_orgs(orgs: list[_Org]) -> list[_Org]:
    merged: dict[str, _Org] = {}
    for org in orgs:
        key = org.key
        if org.type == "diplomatic_mission" and org.kind == "consulate" and not org.city:
            # A consulate named again without its city is the one already named with it.
            same = [k for k, o in merged.items() if o.country == org.country and o.kind == org.kind]
            if len(same) == 1:
                key = same[0]
        if org.type == "foreign_ministry" and org.country:
            key = f"mfa:{org.country}"
        if key in merged:
            cur = merged[key]
            cur.mentions.extend(org.mentions)
            if len(org.name) > len(cur.name) and org.type != "international_org":
                cur.name = org.name
            cur.city = cur.city or org.city
            cur.host = cur.host or org.host
        else:
            org.key = key
            merged[key] = org
    return list(merged.values())


def org_key(org: Organization, lang: str) -> str:
    """Canonical identity of an organisation, for deduplication and lenient evaluation."""
    kb = kbmod.load(lang)
    oid = kb.org_alias_index.get(norm(org.name))
    if oid is not None:
        return f"id:{oid}"
    if org.type == "foreign_ministry" and org.country:
        return f"mfa:{org.country}"
    if org.type == "diplomatic_mission" and org.country:
        kind = _mission_kind_of_name(kb, org.name)
        return _mission_key(org.type, kind, org.country, org.city, org.name)
    return f"other:{org.country}:{norm(org.name)}"


def _mission_kind_of_name(kb: KnowledgeBase, name: str) -> str:
    low = norm(name)
    best = ("", "embassy")
    for head in kb.org_heads:
        form = norm(head.form)
        if head.type == "diplomatic_mission" and form in low and len(form) > len(best[0]):
            best = (form, head.kind)
    return best[1]


# --------------------------------------------------------------------------- persons


def _person_candidates(ctx: _Ctx) -> list[_Person]:
    doc = ctx.doc
    taken: set[int] = set()
    out: list[_Person] = []
    for span in _longest(ctx.persons):
        idx = int(_code(span))
        nxt = doc[span.end] if span.end < len(doc) else None
        longer = nxt is not None and nxt.is_title and nxt.pos_ == "PROPN"
        if len(span) == 1 and longer and span.end not in ctx.country_at:
            continue  # part of a longer, different name
        if len(span) == 1 and doc[span.start].pos_ not in {"PROPN", "NOUN", "ADJ"}:
            continue
        out.append(_Person(span.text, span.start, span.end, kb_index=idx))
        taken.update(range(span.start, span.end))
    for ent in doc.ents:
        if ent.label_ not in PERSON_LABELS or any(i in taken for i in range(ent.start, ent.end)):
            continue
        start = ent.start
        role_tokens = {i for r in ctx.roles for i in range(r.start, r.end)}
        # NER often swallows the title: "Spokeswoman Maria Zakharova", "Consul Khalit Aisin".
        while start < ent.end and (doc[start].text in ctx.honorifics or start in role_tokens):
            start += 1
        if start >= ent.end:
            continue
        span = doc[start : ent.end]
        if all(i in ctx.country_at or i in ctx.org_at for i in range(span.start, span.end)):
            continue
        if not any(c.isupper() for c in span.text):
            continue
        out.append(_Person(span.text, span.start, span.end))
        taken.update(range(span.start, span.end))
    # Names the NER missed right after a role word: "la sonate de l'Europe centrale Coulter".
    for role in ctx.roles:
        k = role.end
        limit = min(len(doc), role.end + ROLE_WINDOW)
        while k < limit and ctx.same_sent(role.start, k) and doc[k].pos_ not in {"VERB", "AUX"}:
            tok = doc[k]
            if k in taken:
                break
            if (
                tok.is_title
                and tok.pos_ == "PROPN"
                and k not in ctx.country_at
                and k not in ctx.org_at
                and tok.ent_type_ in {"", "PER", "PERSON"}
                and (k + 1 >= len(doc) or not doc[k + 1].is_title or doc[k + 1].pos_ == "PROPN")
            ):
                end = k + 1
                while end < len(doc) and doc[end].is_title and doc[end].pos_ == "PROPN":
                    end += 1
                if end - k <= 4:
                    out.append(_Person(doc[k:end].text, k, end))
                    taken.update(range(k, end))
                break
            k += 1
    return out


def _blocked(ctx: _Ctx, p: _Person) -> bool:
    """'l'administration Trump', 'the Trump administration': a name that labels something else."""
    return ctx.lower(p.start - 1) in ctx.blockers or ctx.lower(p.end) in ctx.blockers


def _role_left(ctx: _Ctx, p: _Person) -> Span | None:
    doc = ctx.doc
    best = None
    for role in ctx.roles:
        if role.end > p.start or p.start - role.end > ROLE_WINDOW:
            continue
        if not ctx.same_sent(role.start, p.start):
            continue
        between = doc[role.end : p.start]
        if any(t.pos_ in {"VERB", "AUX"} for t in between):
            continue
        commas = [t.i for t in between if t.text == ","]
        if commas and commas != [p.start - 1]:
            continue
        if best is None or role.end > best.end:
            best = role
    return best


def _role_right(ctx: _Ctx, p: _Person) -> Span | None:
    if ctx.lower(p.end) != ",":
        return None
    for role in ctx.roles:
        gap = role.start - (p.end + 1)
        if 0 <= gap <= 3 and all(
            ctx.doc[k].pos_ in {"DET", "ADJ", "ADP", "PROPN"} or k in ctx.country_at
            for k in range(p.end + 1, role.start)
        ):
            return role
    return None


def _role_facts(
    ctx: _Ctx, role: Span, p: _Person, left: bool
) -> tuple[str, str | None, str | None]:
    entry = ctx.kb.roles[int(_code(role))]
    country = None
    posted = None
    doc = ctx.doc
    # Where the office is said: before the role ("Russian Foreign Minister", "Iran's deputy ..."),
    # and between role and name ("l'ambassadeur de la Russie à Washington, X").
    lo = role.start - 3
    if left:
        region = range(max(0, lo), p.start)
    else:
        region = range(max(0, lo), min(len(doc), role.end + ROLE_WINDOW))
    seen_orgs: set[int] = set()
    for i in region:
        if i in ctx.org_at and i not in seen_orgs:
            o = ctx.org_at[i]
            seen_orgs.update(range(o.start, o.end))
            entry_o = ctx.kb.orgs_by_id[_code(o)]
            if country is None and entry_o.country:
                country = entry_o.country
            continue
        c = ctx.country_at.get(i)
        if c is None or c.start != i:
            continue
        if not ctx.same_sent(i, role.start):
            continue
        prev = ctx.lower(i - 1)
        prev2 = ctx.lower(i - 2)
        code = _code(c)
        if prev in ctx.portfolio or prev2 in ctx.portfolio:
            continue
        if (prev in ctx.loc_preps or (prev in ctx.articles and prev2 in ctx.loc_preps)) and (
            i > role.start
        ):
            if posted is None and entry.role in POSTED_ROLES:
                posted = code
            continue
        if country is None:
            country = code
    if country is None:
        for h in ctx.heads:
            if role.start - 3 <= h.start < p.start and h.start >= role.end:
                country = _adjacent_country(ctx, h.start, h.end)
                if country:
                    break
    if country is None:
        country = entry.default_country
    if posted == country:
        posted = None
    return entry.role, country, posted


def _persons(ctx: _Ctx, cands: list[_Person], day: str | None = None) -> list[_Person]:
    for p in cands:
        if _blocked(ctx, p):
            p.official = False
            continue
        left = _role_left(ctx, p) if not p.title_only else None
        right = _role_right(ctx, p) if left is None and not p.title_only else None
        role = left or right
        if role is not None:
            p.role, p.country, p.posted_to = _role_facts(ctx, role, p, left is not None)
            p.official = True
        if p.kb_index is not None:
            entry = ctx.kb.persons[p.kb_index]
            # Only inside a term of office when the article's date is known (Merz before 2025-05).
            kb_role = entry.role_on(day)
            if kb_role is not None:
                p.official = True
                p.role = p.role or kb_role
                p.country = p.country or entry.country
        if not p.official and not p.title_only and _speaker(ctx, p):
            p.official = True
    _bind_lede_role(ctx, cands)
    # Coreference by surname: "M. Hammond", "Attal" after "Gabriel Attal".
    groups: dict[str, list[_Person]] = defaultdict(list)
    for p in cands:
        if _blocked(ctx, p) and p.kb_index is None:
            continue
        groups[_surname_key(ctx, p)].append(p)
    out: list[_Person] = []
    for members in groups.values():
        if not any(m.official for m in members):
            continue
        if all(_blocked(ctx, m) for m in members):
            continue
        best = max(members, key=lambda m: (m.official and m.role is not None, len(m.name)))
        rep = _Person(
            name=max((m.name for m in members), key=len),
            start=min(m.start for m in members),
            end=best.end,
            kb_index=next((m.kb_index for m in members if m.kb_index is not None), None),
            role=next((m.role for m in members if m.role and m.role != "counterpart"), None),
            country=next((m.country for m in members if m.country), None),
            posted_to=next((m.posted_to for m in members if m.posted_to), None),
            official=True,
        )
        if rep.kb_index is not None and " " not in rep.name.strip():
            rep.name = ctx.kb.persons[rep.kb_index].canonical
        rep.spans = [(m.start, m.end) for m in members]
        out.append(rep)
    # "rencontre Ouattara-Sleimane": a hyphenated pair of two people already found.
    surnames = {_words_of(p.name)[-1] for p in out if _words_of(p.name)}
    out = [
        p
        for p in out
        if not (
            "-" in p.name
            and all(w in surnames for w in p.name.lower().split("-"))
            and len(p.name.split("-")) == 2
            and " " not in p.name
        )
    ]
    return sorted(out, key=lambda p: p.start)


def _speech_verb(ctx: _Ctx, i: int) -> bool:
    if not 0 <= i < len(ctx.doc):
        return False
    tok = ctx.doc[i]
    if tok.pos_ not in {"VERB", "AUX"}:
        return False
    return tok.lower_ in ctx.speech_verbs or tok.lemma_.lower() in ctx.speech_verbs


def _non_official_near(ctx: _Ctx, p: _Person) -> bool:
    lo, hi = max(0, p.start - 6), min(len(ctx.doc), p.end + 6)
    return any(
        ctx.doc[k].lower_ in ctx.non_official and ctx.same_sent(k, p.start) for k in range(lo, hi)
    )


def _speaker(ctx: _Ctx, p: _Person) -> bool:
    """'X said', 'a déclaré X', 'selon X' in a sentence that names a state or a diplomatic body.

    Speakers quoted beside a state are nearly always its officials; journalists, scholars,
    candidates and former officials are kept out by the nouns around the name.
    """
    doc = ctx.doc
    if p.kb_index is None and not any(
        e.label_ in PERSON_LABELS and e.start <= p.start < e.end for e in doc.ents
    ):
        return False
    after = p.end + 1 if ctx.lower(p.end) == "," else p.end
    said = _speech_verb(ctx, after) or (
        ctx.lower(p.end) in {"has", "had", "a", "avait"} and _speech_verb(ctx, p.end + 1)
    )
    # Inverted ("a déclaré Peskov.", "said Peskov, adding"): the name ends the clause, else it is
    # the verb's object ("told Der Spiegel magazine").
    ends_clause = p.end >= len(doc) or doc[p.end].is_punct or doc[p.end].is_space
    said = said or (_speech_verb(ctx, p.start - 1) and ends_clause)
    prev = ctx.lower(p.start - 1)
    said = said or prev in ctx.speech_preps or ctx.lower(p.start - 2) in ctx.speech_preps
    if not said or _non_official_near(ctx, p):
        return False
    sent = ctx.sent[p.start]
    for k in range(len(doc)):
        if ctx.sent[k] != sent:
            continue
        if k in ctx.org_at or (k in ctx.country_at and _kind(ctx.country_at[k]) != "capital"):
            return True
        if any(h.start == k for h in ctx.heads):
            return True
    return False


def _title_end(doc: Doc) -> int:
    for tok in doc:
        if tok.is_space and "\n" in tok.text:
            return tok.i
    return 0


def _title_candidates(ctx: _Ctx, cands: list[_Person]) -> list[_Person]:
    """Names in the headline the rules above may not see: '...: Bachelet', a name NER called LOC."""
    doc = ctx.doc
    end = _title_end(doc)
    taken = {i for p in cands for i in range(p.start, p.end)}
    out: list[_Person] = []

    def free(a: int, b: int) -> bool:
        return all(
            k not in taken and k not in ctx.country_at and k not in ctx.org_at for k in range(a, b)
        )

    colon = max((t.i for t in doc[:end] if t.text == ":"), default=-1)
    if colon >= 0 and 1 <= end - colon - 1 <= 3:
        toks = doc[colon + 1 : end]
        if all(t.is_title and t.is_alpha for t in toks) and free(colon + 1, end):
            out.append(_Person(toks.text, colon + 1, end, title_only=True))
    for ent in doc.ents:
        if ent.end > end or ent.label_ in PERSON_LABELS or len(ent) < 2 or len(ent) > 3:
            continue
        if not all(t.is_title and t.pos_ == "PROPN" for t in ent) or not free(ent.start, ent.end):
            continue
        if ctx.lower(ent.start - 1) in ctx.loc_preps or ctx.lower(ent.start - 1) in ctx.articles:
            continue
        out.append(_Person(ent.text, ent.start, ent.end, title_only=True))
    return out


def _unattached_role(ctx: _Ctx, k: int, end: int, cands: list[_Person]) -> bool:
    """A definite role phrase with no name beside it: 'Le chancelier allemand', 'The UN's ...'."""
    doc = ctx.doc
    for p in cands:
        if 0 <= p.start - end <= 3 or (p.end <= k and k - p.end <= 1):
            return False
    j = k - 1
    while j >= 0 and k - j <= 5 and ctx.same_sent(j, k):
        tok = doc[j]
        if tok.pos_ == "DET" or tok.lower_ in ctx.articles or tok.lower_ in ctx.poss:
            return True
        if tok.pos_ in {"VERB", "AUX", "PUNCT"} or tok.is_space:
            return False
        j -= 1
    return False


def _bind_lede_role(ctx: _Ctx, cands: list[_Person]) -> None:
    """Headline names one person, the lede's first sentence calls someone by role alone: same one.

    'Législatives au Kosovo : nouveau succès pour Albin Kurti' + 'le Premier ministre de gauche
    est...'. Only for a single person in the headline and a role with no name attached.
    """
    doc = ctx.doc
    end = _title_end(doc)
    if end == 0:
        return
    in_title = [p for p in cands if p.end <= end and not _blocked(ctx, p)]
    if len({_surname_key(ctx, p) for p in in_title}) != 1:
        return
    target = in_title[0]
    if any(p.official for p in in_title):
        return
    first = next((t.i for t in doc[end:] if not t.is_space), None)
    if first is None:
        return
    lede = ctx.sent[first]
    for role in ctx.roles:
        if ctx.sent[role.start] == lede and _unattached_role(ctx, role.start, role.end, cands):
            near = _Person(target.name, role.end + 3, role.end + 3)
            entry_role, country, _ = _role_facts(ctx, role, near, True)
            for p in in_title:
                p.role, p.country, p.official = entry_role, country, True
            return
    for k in range(first, len(doc)):
        if ctx.sent[k] != lede:
            break
        head = doc[k].lower_ in ctx.official_heads and doc[k].pos_ == "NOUN"
        if head and _unattached_role(ctx, k, k + 1, cands):
            for p in in_title:
                p.official = True
            return


def _words_of(name: str) -> list[str]:
    return [w for w in norm(name).split(" ") if w]


def _surname_key(ctx: _Ctx, p: _Person) -> str:
    if p.kb_index is not None:
        return "kb:" + norm(ctx.kb.persons[p.kb_index].canonical).split(" ")[-1]
    parts = [t for t in norm(p.name).split(" ") if t]
    return "kb:" + parts[-1] if parts else p.name


# --------------------------------------------------------------------------- topics


def _topics(ctx: _Ctx, orgs: list[_Org]) -> tuple[Topic, ...]:
    counts: dict[int, int] = defaultdict(int)
    surfaces: dict[int, str] = {}
    kept = {(s.start, s.end) for s in _longest(ctx.topics)}
    for span in ctx.topics:
        if (span.start, span.end) not in kept:
            continue
        idx = int(_code(span))
        counts[idx] += 1
        surfaces.setdefault(idx, span.text.lower())
    weight: dict[str, float] = defaultdict(float)
    evidence: dict[str, list[str]] = defaultdict(list)
    for idx, n in counts.items():
        term = ctx.kb.topic_terms[idx]
        # A weak word repeated stays weak evidence: repeats add a quarter each, twice at most.
        weight[term.topic] += term.weight * (1 + 0.25 * min(n - 1, 2))
        evidence[term.topic].append(surfaces[idx])
    for org in orgs:
        topics = list(org.topics)
        if org.type == "diplomatic_mission":
            topics.append("diplomatic_missions")
        for t in topics:
            weight[t] += 1.0
            evidence[t].append(org.name)
    out = [
        Topic(name=t, score=round(1 - math.exp(-w), 3), evidence=tuple(dict.fromkeys(evidence[t])))
        for t, w in weight.items()
        if w >= TOPIC_THRESHOLD
    ]
    return tuple(sorted(out, key=lambda t: (-t.score, t.name)))


# --------------------------------------------------------------------------- entry point


def _mention(doc: Doc, start: int, end: int) -> Mention:
    span = doc[start:end]
    return Mention(start=span.start_char, end=span.end_char, text=span.text)


def iso_day(published: str | date | None) -> str | None:
    """The article's date as ``YYYY-MM-DD`` from ISO ('2025-02-10', '2020-07') or RFC 822 text."""
    if published is None:
        return None
    if isinstance(published, date):
        return published.isoformat()[:10]
    text = published.strip()
    m = re.match(r"(\d{4})-(\d{2})(?:-(\d{2}))?", text)
    if m:
        return f"{m.group(1)}-{m.group(2)}-{m.group(3) or '01'}"
    try:
        return parsedate_to_datetime(text).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def analyze(doc: Doc, lang: str, published: str | date | None = None) -> DiploFacts:
    """Facts of one Doc. ``published`` (the article's date) keeps KB officials to their terms."""
    kb = kbmod.load(lang)
    if not kb.lexicon:
        return DiploFacts()
    ctx = _Ctx(doc, lang)
    mentions = _country_mentions(ctx)
    orgs = _merge_orgs(_named_orgs(ctx) + _composed_orgs(ctx) + _agency_orgs(ctx))
    cands = _person_candidates(ctx)
    cands += _title_candidates(ctx, cands)
    persons = _persons(ctx, cands, iso_day(published))

    # States named by their organisations and officials act in the story.
    actor_codes: set[str] = {m.code for m in mentions if m.actor and m.counted}
    extra: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for org in orgs:
        if org.country and org.type != "international_org":
            actor_codes.add(org.country)
            extra[org.country].extend(org.mentions[:1])
        if org.host and org.kind == "embassy":
            # An embassy is accredited to a state: the host state is part of the story.
            extra[org.host].extend(org.mentions[:1])
    for p in persons:
        if p.country and p.official:
            actor_codes.add(p.country)
    per_code: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for m in sorted(mentions, key=lambda m: m.start):
        if m.counted and not m.venue:
            per_code[m.code].append((m.start, m.end))
    for code, spans in extra.items():
        if code not in per_code:
            per_code[code] = spans
    for p in persons:
        if p.country and p.country not in per_code:
            per_code[p.country] = [(p.start, p.end)]
    codes_order = sorted(per_code, key=lambda c: min(s for s, _ in per_code[c]))
    countries = tuple(
        Country(
            code=code,
            name=kb.country_names.get(code, code),
            actor=code in actor_codes,
            mentions=tuple(_mention(doc, s, e) for s, e in sorted(set(per_code[code]))),
        )
        for code in codes_order
    )
    actors = sorted(c.code for c in countries if c.actor)
    dyads = tuple(f"{a}-{b}" for a, b in combinations(actors, 2))
    person_out = tuple(
        Person(
            name=p.name,
            role=p.role,
            country=p.country,
            posted_to=p.posted_to,
            mentions=tuple(_mention(doc, s, e) for s, e in sorted(set(p.spans))),
        )
        for p in persons
    )
    org_out = tuple(
        Organization(
            name=o.name,
            type=o.type,
            country=o.country,
            city=o.city,
            mentions=tuple(_mention(doc, s, e) for s, e in sorted(set(o.mentions))),
        )
        for o in sorted(orgs, key=lambda o: min(s for s, _ in o.mentions))
    )
    return DiploFacts(
        countries=countries,
        dyads=dyads,
        persons=person_out,
        organizations=org_out,
        topics=_topics(ctx, orgs),
    )
