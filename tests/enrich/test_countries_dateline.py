"""Datelines in any case (enrich/diplo/dateline.py) and capitals located by their own state
(enrich/diplo/countries.py), through the real spaCy models. Openings from the DEV sets (wave 3,
5, 7, 9), each behind a title as the enricher reads them (``Article.body``)."""

from __future__ import annotations

import pytest

from diplowire.enrich import diplo, nlp


def facts_of(title: str, text: str, lang: str) -> diplo.DiploFacts:
    pipeline = nlp.load(lang)
    assert pipeline is not None
    # The rules' verdicts: what the dateline and locator rules alone decide.
    return diplo.analyze(pipeline(f"{title}\n\n{text}"), lang, learned_actors=False)


def codes(facts: diplo.DiploFacts) -> set[str]:
    return {c.code for c in facts.countries}


@pytest.mark.parametrize(
    ("text", "lang", "place"),
    [
        # w3-as-ml-en-07: an agency after a comma, then a dash.
        (
            "Phnom Penh, MINA – ASEAN Foreign Ministers held a special meeting to discuss the "
            "issue of Myanmar, a proposal from Indonesia.",
            "en",
            "KH",
        ),
        # w3-as-ml-fr-24: the state in parentheses, a date, the agency, a dash.
        (
            "Kuala Lumpur (Malaisie), 22 décembre (LaPresse/AP) – La Thaïlande et le Cambodge "
            "reprendront leurs pourparlers.",
            "fr",
            "MY",
        ),
        # w5-af-me-fr-07: a colon.
        (
            "Kigali: Le Tchad a décrété la fermeture de l'Ambassade du Qatar au Tchad et "
            "l'expulsion de ses diplomates.",
            "fr",
            "RW",
        ),
        # w3-af-me-fr-05: a country name as the dateline, a date, a double dash.
        (
            "Mali, Avril 19 -- Dans un développement diplomatique surprenant, trois diplomates "
            "français ont été expulsés par le Burkina Faso.",
            "fr",
            "ML",
        ),
    ],
)
def test_mixed_case_dateline_is_no_country(text: str, lang: str, place: str) -> None:
    facts = facts_of("Diplomatie", text, lang)
    assert place not in codes(facts)
    assert codes(facts)  # the story's own states are still found


def test_capital_opening_a_sentence_as_its_subject_is_no_dateline() -> None:
    # w3-as-ml-en-01: "Beijing summoned ...": no dateline mark follows, Beijing acts.
    facts = facts_of(
        "Japan ambassador summoned",
        "Beijing summoned Hideo Tarumi, Japan's ambassador, on Sunday to lodge a solemn protest.",
        "en",
    )
    assert {c.code: c.actor for c in facts.countries}.get("CN") is True
    # w9-af-me-fr-24: "Khartoum a annoncé, mardi six mai, ...": a comma and a date, but after
    # the verb.
    facts = facts_of(
        "Rupture",
        "Khartoum a annoncé, mardi six mai, la rupture de ses liens diplomatiques avec les "
        "Émirats arabes unis.",
        "fr",
    )
    assert {c.code: c.actor for c in facts.countries}.get("SD") is True


def test_dateline_state_kept_for_its_stateless_officials() -> None:
    # w7-af-me-en-17: Safadi's office names no state; the Amman wire's officials are Jordan's.
    facts = facts_of(
        "",
        "AMMAN — Deputy Prime Minister and Foreign Minister Ayman Safadi and his counterparts "
        "from Egypt and Qatar met on Saturday with the US Secretary of State Antony Blinken.",
        "en",
    )
    assert "JO" in codes(facts)


def test_capital_located_by_its_own_state_is_a_venue() -> None:
    # w3-as-ml-en-07: "in Phnom Penh, Cambodia" is where the meeting was.
    facts = facts_of(
        "ASEAN",
        "ASEAN Foreign Ministers discussed Myanmar at the 55th ASEAN Ministerial Meeting in "
        "Phnom Penh, Cambodia. Indonesia proposed the meeting.",
        "en",
    )
    assert "KH" not in codes(facts)
    # w7-as-ml-en-09: "..., which holds ASEAN's chairmanship" says what the state does.
    facts = facts_of(
        "ASEAN",
        "The meetings are being held in Bangkok, Thailand, which holds ASEAN's chairmanship "
        "for this year.",
        "en",
    )
    assert "TH" in codes(facts)


def test_new_capitals_name_their_state() -> None:
    facts = facts_of(
        "Border",
        "Phnom Penh accused Bangkok of violating the ceasefire on Monday, and Kuala Lumpur "
        "offered to mediate.",
        "en",
    )
    assert {"KH", "TH", "MY"} <= codes(facts)
