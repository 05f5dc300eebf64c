"""A state named nowhere in the story is not one of its countries (eval/LABELLING.md P4), even
when its leader, known to the KB, acts; the same leader beside his state's name gives it."""

from __future__ import annotations

from diplowire.enrich import diplo, nlp


def _countries(text: str, lang: str) -> set[str]:
    pipeline = nlp.load(lang)
    assert pipeline is not None
    facts = diplo.analyze(pipeline(text), lang, None)
    return {c.code for c in facts.countries}


def test_a_leader_alone_does_not_bring_his_state() -> None:
    text = "Félix Tshisekedi a reçu mardi l'ambassadeur de France, selon un communiqué."
    assert "CD" not in _countries(text, "fr")
    assert "FR" in _countries(text, "fr")


def test_the_state_named_beside_him_is_kept() -> None:
    text = "Le président congolais Félix Tshisekedi a reçu mardi l'ambassadeur de France."
    assert {"CD", "FR"} <= _countries(text, "fr")
