"""The KB matcher reads names whose capitals lost their accents or whose words are capitalised
otherwise, as the French press often writes them (enrich/diplo/matcher.py)."""

from __future__ import annotations

import pytest

from diplowire.enrich import diplo, nlp
from diplowire.enrich.kb import initials_unaccented


def test_initials_lose_their_accents_and_nothing_else() -> None:
    assert initials_unaccented("États-Unis") == "Etats-Unis"
    assert initials_unaccented("l'Élysée") == "l'Elysée"
    assert initials_unaccented("Communauté économique") == "Communauté economique"
    assert initials_unaccented("ministère") == "ministère"


@pytest.mark.parametrize(
    ("text", "org", "country"),
    [
        # Real wording (wave11-dev w11-af-me-fr-08): the KB has "Communauté économique des États de
        # l'Afrique de l'Ouest"; the text capitalises its words and drops the capitals' accents.
        (
            "La Communauté Economique des Etats de l'Afrique de l'Ouest a réuni ses chefs d'Etat "
            "à Abuja.",
            "ECOWAS",
            None,
        ),
        ("Le président a reçu l'ambassadeur d'Egypte à Dakar.", None, "EG"),
    ],
)
def test_unaccented_capitals_still_name_the_entity(
    text: str, org: str | None, country: str | None
) -> None:
    pipeline = nlp.load("fr")
    assert pipeline is not None
    facts = diplo.analyze(pipeline(text), "fr")
    if org:
        assert org in {o.id for o in facts.organizations}
    if country:
        assert country in {c.code for c in facts.countries}


def test_a_short_capitalised_form_still_needs_its_case() -> None:
    # "us" in lower case is not the US: the loosening is for names of three words or more.
    pipeline = nlp.load("en")
    assert pipeline is not None
    facts = diplo.analyze(pipeline("Let us talk about trade with them."), "en")
    assert "US" not in {c.code for c in facts.countries}


def test_a_country_name_with_a_lower_case_generic_first_word() -> None:
    # Real wording (wave3-dev w3-eu-am-fr-22, session 13): "Les îles Marshall et la Micronésie se
    # sont abstenues"; the KB (CLDR) writes "Îles Marshall". Only the first word's case may differ.
    pipeline = nlp.load("fr")
    assert pipeline is not None
    text = "Les îles Marshall et la Micronésie se sont abstenues, comme les îles Salomon."
    codes = {c.code for c in diplo.analyze(pipeline(text), "fr").countries}
    assert {"MH", "FM", "SB"} <= codes
    # The name's own capital still counts: "îles marshall" is no name.
    lower = {c.code for c in diplo.analyze(pipeline("les îles marshall"), "fr").countries}
    assert "MH" not in lower
