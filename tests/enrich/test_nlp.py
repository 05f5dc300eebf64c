"""Lemmas for search, from the enricher's pipelines."""

from __future__ import annotations

import pytest

from diplowire.enrich import nlp
from diplowire.enrich.pipeline import lemmas_of


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
