"""The enrichment path of languages without a NER model: the spaCy blank tokenizer of the language
and the knowledge base, matched on normalised text (``enrich.textnorm``).

What it finds: countries (names from CLDR, curated inflections, demonyms, capitals and seats of
government), the KB's known officials and named organisations under their canonical ids, topics
with their evidence, and dyads between the states that act. What it cannot find without NER: other
persons and organisations, raw entities; ``COVERAGE`` says so in each article it enriches.

A KB folder is on this path when its ``lexicon.json`` lists ``"kbonly"`` under ``pipeline``.
Matching walks a trie of token forms (longest match, left to right): for Chinese the tokens are
the characters (``"tokens": ["char"]`` in its lexicon, as ``spacy.blank("zh")`` segments by
default), so 俄罗斯 is found inside a sentence without word segmentation; for Arabic, the
one-letter proclitics (و ف ب ل ك, and with the article) are tried off the first token of a
form when the whole token does not match. No parser, no tagger: an actor is a
state named anywhere but right after a place preposition (``locative_preps``), or a seat of
government, a demonym, the state of a known official in office or of a national organisation.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from itertools import combinations

import spacy
from spacy import about as spacy_about
from spacy.language import Language

from diplowire.enrich import kb as kbmod
from diplowire.enrich import kbinflect
from diplowire.enrich.diplo.context import TOPIC_THRESHOLD
from diplowire.enrich.diplo.facts import DiploFacts, iso_day
from diplowire.enrich.kb.entities import org_identity, person_identity
from diplowire.enrich.kblemmas import languages as lemma_languages
from diplowire.enrich.kblemmas import lemmas as table_lemmas
from diplowire.enrich.textnorm import match_form
from diplowire.wire.article import (
    Article,
    Country,
    Enrichment,
    Mention,
    Model,
    Organization,
    Person,
    Topic,
)

PIPELINE = "kbonly"
COVERAGE: tuple[str, ...] = (
    "countries",
    "dyads",
    "persons_known",
    "organizations_known",
    "topics",
)
"""The fields this path fills (``Enrichment.coverage``)."""


def uses_kbonly(lang: str) -> bool:
    """True when ``lang``'s KB folder asks for this path (no spaCy model for it)."""
    return PIPELINE in kbmod.load(lang).lexicon.get("pipeline", [])


@dataclass(frozen=True, slots=True)
class _Entry:
    cat: str
    """C (country form), O (organisation), P (person), T (topic term), X (not a name)."""
    ref: str
    """Country code and kind ``code|kind``, or the index into the KB list."""
    case: int
    """What the text must look like (``_case_of``): 0 any case, 1 capitalised, 2 all capitals."""


@dataclass(frozen=True, slots=True)
class Hit:
    entries: tuple[_Entry, ...]
    start: int
    """Token indices."""
    end: int
    start_char: int
    end_char: int
    text: str
    before: str
    """The matching form of the word before it, past an article ("" at the start): is it a
    place preposition?"""


@dataclass(slots=True)
class _Node:
    """A trie node over token forms: matching costs one dict lookup per token, not per n-gram."""

    children: dict[str, _Node] = field(default_factory=dict)
    entries: list[_Entry] = field(default_factory=list)


def _case_of(form: str) -> int:
    """Acronyms match in capitals only ("UE", not "ue"); capitalised forms only capitalised
    ("Mali", not the Italian "mali"). Scripts without case always pass."""
    letters = [c for c in form if c.isalpha()]
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return 2
    return 1 if form[:1].isupper() else 0


def _case_ok(text: str, case: int) -> bool:
    if case == 2:
        return all(c.isupper() for c in text if c.isalpha())
    return case == 0 or text[:1].isupper()


class KbOnly:
    """One language's matcher: the KB compiled into a trie of normalised token forms."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.kb = kbmod.load(lang)
        self.nlp: Language = spacy.blank(lang)
        # Chinese: one token per character (what spacy.blank("zh") does by default, without
        # building a Doc), so a name is found inside a sentence with no spaces.
        self.char_tokens = "char" in self.kb.lexicon.get("tokens", [])
        self.split_hyphens = "split_hyphens" in self.kb.lexicon.get("tokens", [])
        self.root = _Node()
        self.loc_preps = frozenset(match_form(w) for w in self.kb.lexicon.get("locative_preps", []))
        # "in der Ukraine": an article between the preposition and the name is looked past.
        self.place_articles = frozenset(
            match_form(w) for w in self.kb.lexicon.get("place_articles", [])
        )
        self.proclitics: list[tuple[str, str]] = []
        for p in self.kb.lexicon.get("proclitics", []):
            prefix, _, repl = p.partition(">")
            self.proclitics.append((match_form(prefix), match_form(repl)))
        self.proclitics.sort(key=lambda pr: -len(pr[0]))
        kb = self.kb
        # Cases and genitives made by rule (enrich/kbinflect.py): the files list base forms.
        inflect = next(iter(kb.lexicon.get("inflect", [])), None)
        for cf in kb.country_forms:
            for form in kbinflect.expand(inflect, cf.kind, cf.form):
                self._add("C", f"{cf.code}|{cf.kind}", form)
        for i, org in enumerate(kb.orgs):
            for form in (org.canonical, *org.aliases):
                self._add("O", str(i), form)
        for i, person in enumerate(kb.persons):
            for form in (person.canonical, *person.aliases):
                self._add("P", str(i), form)
        for i, term in enumerate(kb.topic_terms):
            for form in term.forms:
                self._add("T", str(i), form)
        # Words that contain or equal a KB form but name something else (马里乌波尔, Mariupol, is
        # not 马里, Mali): matched like the others, longest first, then dropped.
        for form in kb.lexicon.get("not_names", []):
            self._add("X", "", form)

    def _tokens(self, text: str) -> tuple[list[str], list[int], list[int]]:
        """Matching forms, start and end offsets of the tokens of ``text`` (spaces left out)."""
        if self.char_tokens:
            pos = [i for i, c in enumerate(text) if not c.isspace()]
            return [match_form(text[i]) for i in pos], pos, [i + 1 for i in pos]
        words: list[str] = []
        starts: list[int] = []
        for t in self.nlp.make_doc(text):
            if t.is_space:
                continue
            # German compounds keep their hyphen in one token ("Ukraine-Krieg",
            # "Armenien-Resolution", "US-Kollegen"): their parts are matched one by one.
            if self.split_hyphens and "-" in t.text.strip("-"):
                off = t.idx
                for part in t.text.split("-"):
                    if part:
                        words.append(part)
                        starts.append(off)
                    off += len(part) + 1
                continue
            words.append(t.text)
            starts.append(t.idx)
        return (
            [match_form(w) for w in words],
            starts,
            [s + len(w) for s, w in zip(starts, words, strict=True)],
        )

    def _add(self, cat: str, ref: str, form: str) -> None:
        key = self._tokens(form)[0]
        if not key:
            return
        node = self.root
        for tok in key:
            node = node.children.setdefault(tok, _Node())
        entry = _Entry(cat, ref, _case_of(form))
        if entry not in node.entries:
            node.entries.append(entry)

    def _firsts(self, token: str) -> list[str]:
        """The first token as written, then without each proclitic it may carry."""
        out = [token]
        for prefix, repl in self.proclitics:
            if token.startswith(prefix) and len(token) - len(prefix) >= 2:
                out.append(repl + token[len(prefix) :])
        return out

    def _before(self, forms: list[str], i: int) -> str:
        j = i - 1
        if j >= 1 and forms[j] in self.place_articles:
            j -= 1
        return forms[j] if j >= 0 else ""

    def hits(self, text: str) -> list[Hit]:
        """Longest KB matches, left to right, not overlapping."""
        forms, starts, ends = self._tokens(text)
        out: list[Hit] = []
        i, n = 0, len(forms)
        children = self.root.children
        while i < n:
            found: Hit | None = None
            firsts = self._firsts(forms[i]) if self.proclitics else (forms[i],)
            for first in firsts:
                node = children.get(first)
                j = i + 1
                while node is not None:
                    if node.entries:
                        surface = text[starts[i] : ends[j - 1]]
                        ok = tuple(e for e in node.entries if _case_ok(surface, e.case))
                        if ok:
                            before = self._before(forms, i)
                            found = Hit(ok, i, j, starts[i], ends[j - 1], surface, before)
                    if j >= n:
                        break
                    node = node.children.get(forms[j])
                    j += 1
                if found is not None:
                    break  # the token as written wins over a proclitic reading
            if found is None:
                i += 1
                continue
            out.append(found)
            i = found.end
        return out

    def analyze(self, text: str, published: str | date | None = None) -> DiploFacts:
        hits = self.hits(text)
        kb = self.kb
        day = iso_day(published)
        per_code: dict[str, list[Mention]] = defaultdict(list)
        actors: set[str] = set()
        org_hits: dict[int, list[Mention]] = defaultdict(list)
        person_hits: dict[int, list[Mention]] = defaultdict(list)
        term_hits: dict[int, list[str]] = defaultdict(list)
        for hit in hits:
            if any(e.cat == "X" for e in hit.entries):
                continue
            mention = Mention(start=hit.start_char, end=hit.end_char, text=hit.text)
            for e in hit.entries:
                if e.cat == "C":
                    code, kind = e.ref.split("|", 1)
                    per_code[code].append(mention)
                    if kind in ("seat", "demonym") or hit.before not in self.loc_preps:
                        actors.add(code)
                elif e.cat == "O":
                    org_hits[int(e.ref)].append(mention)
                elif e.cat == "P":
                    person_hits[int(e.ref)].append(mention)
                else:
                    term_hits[int(e.ref)].append(match_form(hit.text))
        persons = []
        for idx, mentions in person_hits.items():
            p = kb.persons[idx]
            role = p.role_on(day)
            if p.country and role:
                actors.add(p.country)
                per_code.setdefault(p.country, [mentions[0]])
            pid, label = person_identity(p.canonical, p.id or None)
            persons.append(
                Person(
                    name=p.canonical,
                    id=pid,
                    label=label,
                    role=role,
                    country=p.country,
                    mentions=tuple(mentions),
                )
            )
        orgs = []
        for idx, mentions in org_hits.items():
            o = kb.orgs[idx]
            if o.country and o.type != "international_org":
                actors.add(o.country)
                per_code.setdefault(o.country, [mentions[0]])
            oid, label = org_identity(name=o.canonical, type=o.type, country=o.country, kb_id=o.id)
            orgs.append(
                Organization(
                    name=o.canonical,
                    type=o.type,
                    id=oid,
                    label=label,
                    country=o.country,
                    mentions=tuple(mentions),
                )
            )
        countries = tuple(
            Country(
                code=code,
                name=kb.country_names.get(code, code),
                actor=code in actors,
                mentions=tuple(sorted(set(ms), key=lambda m: m.start)),
            )
            for code, ms in sorted(per_code.items(), key=lambda kv: min(m.start for m in kv[1]))
        )
        acting = sorted(c.code for c in countries if c.actor)
        return DiploFacts(
            countries=countries,
            dyads=tuple(f"{a}-{b}" for a, b in combinations(acting, 2)),
            persons=tuple(sorted(persons, key=lambda p: p.mentions[0].start)),
            organizations=tuple(sorted(orgs, key=lambda o: o.mentions[0].start)),
            topics=self._topics(term_hits, org_hits),
        )

    def _topics(
        self, term_hits: dict[int, list[str]], org_hits: dict[int, list[Mention]]
    ) -> tuple[Topic, ...]:
        # The same scoring as the fr/en rules (enrich/diplo/topics.py): a weak word repeated adds
        # a quarter of its weight per repeat, twice at most; a named organisation adds 1.0.
        weight: dict[str, float] = defaultdict(float)
        evidence: dict[str, list[str]] = defaultdict(list)
        for idx, surfaces in term_hits.items():
            term = self.kb.topic_terms[idx]
            weight[term.topic] += term.weight * (1 + 0.25 * min(len(surfaces) - 1, 2))
            evidence[term.topic].append(surfaces[0])
        for idx, mentions in org_hits.items():
            org = self.kb.orgs[idx]
            for t in org.topics:
                weight[t] += 1.0
                evidence[t].append(mentions[0].text)
        out = [
            Topic(
                name=t, score=round(1 - math.exp(-w), 3), evidence=tuple(dict.fromkeys(evidence[t]))
            )
            for t, w in weight.items()
            if w >= TOPIC_THRESHOLD
        ]
        return tuple(sorted(out, key=lambda t: (-t.score, t.name)))


@cache
def matcher(lang: str) -> KbOnly:
    """The process's matcher for ``lang`` (built once: ~0.1-0.5 s per language)."""
    return KbOnly(lang)


def enrichment(
    article: Article, lang: str, lang_confidence: float, pipeline_version: str
) -> Enrichment:
    """The enrichment block of ``article`` in ``lang`` through this path."""
    body = article.body()
    facts = matcher(lang).analyze(body, article.published)
    return Enrichment(
        pipeline_version=pipeline_version,
        # No trained model: the blank tokenizer of the installed spaCy, and the KB.
        models=(Model(name=f"spacy.blank:{lang}+kb", version=spacy_about.__version__),),
        lang=lang,
        lang_confidence=lang_confidence,
        countries=facts.countries,
        dyads=facts.dyads,
        persons=facts.persons,
        organizations=facts.organizations,
        topics=facts.topics,
        # Lemmas where a lookup table exists (de es it pt ru): the query side's rule.
        lemmas=table_lemmas(lang, body),
        coverage=(*COVERAGE, "lemmas") if lang in lemma_languages() else COVERAGE,
    )
