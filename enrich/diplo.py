"""Diplomatic facts from a spaCy Doc (placeholder until the knowledge base lands)."""

from __future__ import annotations

from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

from wire.article import Country, Organization, Person, Topic


@dataclass(frozen=True, slots=True)
class DiploFacts:
    countries: tuple[Country, ...] = ()
    dyads: tuple[str, ...] = ()
    persons: tuple[Person, ...] = ()
    organizations: tuple[Organization, ...] = ()
    topics: tuple[Topic, ...] = ()


def configure(nlp: Language, lang: str) -> None:
    """Add rule components fed by the knowledge base to a freshly loaded pipeline."""


def analyze(doc: Doc, lang: str) -> DiploFacts:
    return DiploFacts()
