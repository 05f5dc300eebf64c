"""What every rule reads: the per-document view (``Ctx``: KB hits by category, sentence ids,
lexicon word sets), the working types of the analysis and small span helpers."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from spacy.tokens import Doc, Span

from diplowire.enrich import kb as kbmod
from diplowire.enrich.diplo.matcher import kb_hits

PERSON_LABELS = frozenset({"PER", "PERSON"})
PLACE_LABELS = frozenset({"LOC", "GPE", "FAC"})
TOPIC_THRESHOLD = 1.0
# A role word this far (in tokens) left of a name still names that person's office.
ROLE_WINDOW = 16
POSTED_ROLES = frozenset({"ambassador", "consul", "envoy", "chargé_d_affaires", "diplomat"})
SENT_END = frozenset({".", "!", "?", "…"})


# --------------------------------------------------------------------------- analysis helpers


@dataclass(slots=True)
class CountryMention:
    code: str
    kind: str
    start: int
    end: int
    actor: bool = False
    venue: bool = False
    counted: bool = True


@dataclass(slots=True)
class OrgFound:
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
class PersonFound:
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


class Ctx:
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
        self.list_continuers = kb.words("list_continuers")
        self.pronouns = kb.words("org_pronouns")
        self.city_nouns = kb.words("city_nouns")
        self.poss = kb.words("possessive_markers")
        self.blockers = kb.words("person_blockers")
        self.honorifics = frozenset(kb.lexicon.get("honorifics", []))
        self.honorific_words = frozenset(kbmod.norm(h) for h in self.honorifics)
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
        self.portfolio_words = _portfolio_words(lang)
        self.non_name_words = _non_name_words(lang)
        # Token attributes read once: indexing a Doc builds a Token object each time, and the
        # rules ask for a token's lower form or text some 700 times an article
        # (bench/README.md, session 11).
        self.texts: list[str] = []
        self.lowers: list[str] = []
        self.pos: list[str] = []  # coarse tags (pos_)
        self.fine: list[str] = []  # fine-grained tags (tag_: the English MD of modals)
        for t in doc:
            self.texts.append(t.text)
            self.lowers.append(t.lower_)
            self.pos.append(t.pos_)
            self.fine.append(t.tag_)
        self.sent = _sentence_ids(self.texts, _abbreviations(lang))
        # The headline's end: the first line break (0 when the text has none; spaCy's is_space
        # is str.isspace). Read by the person, actor and topic rules, computed once here.
        self.title_end = next((i for i, t in enumerate(self.texts) if t.isspace() and "\n" in t), 0)
        # doc.ents builds every entity Span anew on each read; the rules read it per name.
        self.ents: tuple[Span, ...] = tuple(doc.ents)
        self.country: list[Span] = []
        self.orgs: list[Span] = []
        self.heads: list[Span] = []
        self.roles: list[Span] = []
        self.persons: list[Span] = []
        self.topics: list[Span] = []
        for span in kb_hits(doc, lang):
            cat = span.label_[0]
            {
                "C": self.country,
                "O": self.orgs,
                "H": self.heads,
                "R": self.roles,
                "P": self.persons,
                "T": self.topics,
            }[cat].append(span)
        self.orgs = longest(self.orgs)
        self.roles = longest(self.roles)
        self.heads = [h for h in longest(self.heads) if not _inside_any(h, self.roles)]
        self.heads = [h for h in self.heads if not _inside_any(h, self.orgs)]
        self.country = [c for c in longest(self.country) if not _inside_any(c, self.orgs)]
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
        return self.lowers[i] if 0 <= i < len(self.lowers) else ""

    def same_sent(self, i: int, j: int) -> bool:
        return self.sent[i] == self.sent[j]

    def lower_words(self, start: int, end: int) -> list[str]:
        return self.lowers[max(0, start) : max(0, min(len(self.lowers), end))]


@cache
def _portfolio_words(lang: str) -> frozenset[str]:
    """Words that join a role to its portfolio: 'Minister *of* Tourism *and* Trade'."""
    kb = kbmod.load(lang)
    coord = {w for w in kb.words("coordinators") if w.isalpha()}
    return (
        kb.words("genitive_preps")
        | kb.words("genitive_articles")
        | kb.words("portfolio_preps")
        | frozenset(coord)
    )


@cache
def _non_name_words(lang: str) -> frozenset[str]:
    """Capitalised words that are never a person's name: every word of a role or an organisation
    head in the KB, the honorifics, and the lexicon's list (weekdays, portfolios...)."""
    kb = kbmod.load(lang)
    words = set(kb.words("non_name_words"))
    for form in [r.form for r in kb.roles] + [h.form for h in kb.org_heads]:
        words.update(w for w in form.lower().replace("-", " ").split() if w.isalpha())
    words.update(h.lower() for h in kb.lexicon.get("honorifics", []))
    return frozenset(words)


@cache
def _abbreviations(lang: str) -> frozenset[str]:
    """Title abbreviations written with a full stop in the lexicon's honorifics ("Lt.", "Col.",
    "Capt.", "Dr."), without it: the tokenizer splits the stop off those it has no exception for
    ("Lt" "."), and that stop ends no sentence ("Home Minister Lt. Gen. X" is one sentence)."""
    return frozenset(
        w[:-1]
        for w in kbmod.load(lang).lexicon.get("honorifics", [])
        if w.endswith(".") and "." not in w[:-1]
    )


def _sentence_ids(texts: list[str], abbreviations: frozenset[str] = frozenset()) -> list[int]:
    # Without the parser spaCy has no sentences; punctuation and line breaks are enough here.
    # (spaCy's is_space is str.isspace.)
    ids = []
    current = 0
    for k, text in enumerate(texts):
        ids.append(current)
        if text == "." and k > 0 and texts[k - 1] in abbreviations:
            continue
        if text in SENT_END or (text.isspace() and "\n" in text):
            current += 1
    return ids


def longest(spans: Iterable[Span]) -> list[Span]:
    """The longest of overlapping spans (the earlier of equals), in text order."""
    out: list[Span] = []
    # Tokens already taken, rather than a test against every span kept: a document has a few
    # hundred KB hits (bench/README.md, session 11).
    taken: set[int] = set()
    for s in sorted(spans, key=lambda s: (-(s.end - s.start), s.start)):
        if taken.isdisjoint(range(s.start, s.end)):
            out.append(s)
            taken.update(range(s.start, s.end))
    return sorted(out, key=lambda s: s.start)


def _inside_any(span: Span, others: Iterable[Span]) -> bool:
    return any(o.start <= span.start and span.end <= o.end and o != span for o in others)


def _payload(span: Span) -> list[str]:
    return span.label_.split("|")


def span_code(span: Span) -> str:
    return _payload(span)[1]


def span_kind(span: Span) -> str:
    return _payload(span)[2]
