"""``enrich.lemmatize``: the lemmas the enricher indexes and the query side searches with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diplowire.enrich import nlp
from diplowire.enrich.lemmatize import lemmas_of, lemmatize
from diplowire.index import query

DATA = Path(__file__).resolve().parents[2] / "eval" / "data"


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        ("fr", "Les ambassadeurs ont rencontré les ministres.", {"ambassadeur", "ministre"}),
        ("en", "The talks between the envoys resumed.", {"talk", "envoy"}),
    ],
)
def test_lemmas_for_search(code: str, text: str, expected: set[str]) -> None:
    pipeline = nlp.load(code)
    assert pipeline is not None
    lemmas = set(lemmas_of(pipeline(text)).split())
    assert expected <= lemmas
    assert "les" not in lemmas and "the" not in lemmas  # determiners are left out


def test_a_query_gets_the_lemmas_the_enricher_indexed() -> None:
    """The query side's light pipeline (no NER, no KB) lemmatises exactly as the enricher's."""
    items = [
        json.loads(line)
        for line in (DATA / "diplomatic-dev.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    checked = 0
    for item in items:
        enricher = nlp.load(item["lang"])
        assert enricher is not None
        text = f"{item['title']}\n\n{item['text']}"
        assert lemmatize(text, [item["lang"]]) == [lemmas_of(enricher(text))], item["id"]
        checked += 1
    assert checked >= 20


def test_lemmatize_gives_one_variant_per_language_without_duplicates() -> None:
    both = lemmatize("ambassadors")
    assert len(both) == 2 and "ambassador" in both  # English variant; French keeps the form
    assert lemmatize("Paris", ["fr", "en"]) == ["paris"]  # same lemma in both: one variant
    assert lemmatize("   ") == [] and lemmatize("the", ["en"]) == []  # nothing left to search
    assert lemmatize("ambassadors", ["xx"]) == []  # no model for the language: no variant


def test_the_index_query_side_calls_the_public_api() -> None:
    assert query.lemmatize("talks with envoys", ["en"]) == lemmatize("talks with envoys", ["en"])
    assert query.lemmatize("  ") == []
