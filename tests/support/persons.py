"""The persons the enricher finds in a short text, as (role, country) by name: what the persons
tests compare (tests/enrich/test_persons_links.py, test_persons_recall.py)."""

from __future__ import annotations

from diplowire.enrich import diplo, nlp

Persons = dict[str, tuple[str | None, str | None]]


def persons_of(text: str, lang: str) -> Persons:
    pipeline = nlp.load(lang)
    assert pipeline is not None
    facts = diplo.analyze(pipeline(text), lang)
    return {p.name: (p.role, p.country) for p in facts.persons}
