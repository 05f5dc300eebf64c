"""The ``diplo_kb`` pipeline component: the KB compiled into a PhraseMatcher whose hits are stored
in ``doc.spans["diplo"]`` (so they survive ``nlp.pipe(n_process>1)``)."""

from collections import defaultdict

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, SpanGroup

from diplowire.enrich import kb as kbmod
from diplowire.enrich.kb import KnowledgeBase, apostrophe_variants, initials_unaccented

SPAN_KEY = "diplo"
COMPONENT = "diplo_kb"


class _Matchers:
    """The KB compiled into one PhraseMatcher, owned by its pipeline; labels carry the payload."""

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
            # ... and accents dropped on word-initial letters ("Etats-Unis", "Communauté
            # Economique des Etats"): the matcher compares lower-cased token text.
            variants += [u for v in variants if (u := initials_unaccented(v)) != v]
            self.matcher.add(label, [nlp.make_doc(v) for v in dict.fromkeys(variants)])

    def __call__(self, doc: Doc) -> Doc:
        spans = [
            Span(doc, start, end, label=mid)
            for mid, start, end in self.matcher(doc)
            if _case_ok(
                doc[start:end].text,
                (label := doc.vocab.strings[mid]).rsplit("|", 1)[1],
                generic_first=label.startswith("C|"),
            )
        ]
        doc.spans[SPAN_KEY] = SpanGroup(doc, name=SPAN_KEY, spans=spans)
        return doc


def _case_ok(text: str, form: str, generic_first: bool = False) -> bool:
    """Forms with several capitals match exactly, but for accents dropped on initials ("Etats",
    "Economique"), a country's lower-case generic first word ("îles Marshall"), and a name of
    three words or more also when its words are capitalised differently ("Communauté Economique
    des Etats de l'Afrique de l'Ouest"); capitalised forms match only capitalised text ("us" is
    not the US)."""
    if sum(1 for c in form if c.isupper()) >= 2:
        t = initials_unaccented(text.replace("’", "'"))
        f = initials_unaccented(form.replace("’", "'"))
        if t == f:
            return True
        if (
            generic_first
            and len(f.split()) >= 2
            and t[1:] == f[1:]
            and t[:1].lower() == f[:1].lower()
        ):
            # A country name whose generic first word alone is in lower case: French writes
            # "les îles Marshall", "la république de Corée"; its own capitals still match exactly.
            # Not for persons ("Bassirou diomaye Faye" is no KB spelling of a name).
            return True
        return len(f.split()) >= 3 and t[:1].isupper() and t.lower() == f.lower()
    if form[:1].isupper():
        return text[:1].isupper()
    return True


# This module has no ``from __future__ import annotations``: spaCy (3.8.6) validates factory
# arguments with pydantic v1, which cannot resolve postponed (string) annotations like "Language".
@Language.factory(COMPONENT, default_config={"lang": "en"})
def _make_component(nlp: Language, name: str, lang: str) -> _Matchers:
    # The pipeline owns its matcher (built once, when ``configure`` adds the component).
    return _Matchers(nlp, kbmod.load(lang))


def configure(nlp: Language, lang: str) -> None:
    """Add the KB matcher to a freshly loaded pipeline (idempotent)."""
    if COMPONENT not in nlp.pipe_names:
        nlp.add_pipe(COMPONENT, last=True, config={"lang": lang})


class NotConfigured(ValueError):
    """The Doc has no KB hits: it did not go through a pipeline set up by :func:`configure`."""


def kb_hits(doc: Doc, lang: str) -> list[Span]:
    if SPAN_KEY not in doc.spans:
        # Analysing without the KB would silently find (almost) nothing.
        raise NotConfigured(
            f"the {lang!r} Doc has no doc.spans[{SPAN_KEY!r}]: make it with a pipeline set up by "
            "diplo.configure (enrich.nlp.Models.load does)"
        )
    return list(doc.spans[SPAN_KEY])
