"""Issue 12, organisations on unseen outlets (wave7-dev, session 8): general classes read from
the errors of wave7-dev, each with a real sentence of an allowed set (ids in the comments) and a
counter-case where the rule must not fire."""

from diplowire.enrich import diplo, nlp
from diplowire.wire.article import Organization


def _orgs(text: str, lang: str) -> dict[str, Organization]:
    pipeline = nlp.load(lang)
    assert pipeline is not None
    facts = diplo.analyze(pipeline(text), lang)
    return {diplo.org_key(o, lang): o for o in facts.organizations}


def test_bare_foreign_ministry_is_the_one_named_with_its_state() -> None:
    # w7-as-ml-en-11: the ministry quoted without its state is Bangladesh's, named just before.
    orgs = _orgs(
        "Bangladesh's foreign ministry said in a statement, \"The Ministry of Foreign Affairs "
        'summoned Myanmar Ambassador U Kyaw Soe Moe at noon today."',
        "en",
    )
    assert set(orgs) == {"mfa:BD"}
    assert "Ministry of Foreign Affairs" in {m.text for m in orgs["mfa:BD"].mentions}
    # w7-eu-am-en-06: the place after a bare ministry names its state; Poland's stays apart.
    orgs = _orgs(
        "Russian Ambassador Sergey Andreev did not appear at a summons issued by the Polish "
        'Foreign Ministry. "We are asking whether the ambassador is following the instructions '
        'of the Ministry of Foreign Affairs in Moscow," said spokesman Pawel Wronski.',
        "en",
    )
    assert {"mfa:PL", "mfa:RU"} <= set(orgs)
    # w5-as-ml-en-04 (counter-case): no ministry named with a state, so no state is guessed
    # (Myanmar, the summoned envoy's state, would be wrong) and nothing is output.
    orgs = _orgs(
        "The Foreign Ministry has today (Aug 29, 2022) summoned the Myanmar Ambassador in Dhaka.",
        "en",
    )
    assert not any(k.startswith("mfa:") or "ministry" in k for k in orgs)


def test_state_ministry_without_portfolio_is_its_foreign_ministry() -> None:
    # w7-af-me-en-18: "an Iraqi ministry statement" after "Iraq's Foreign Ministry".
    orgs = _orgs(
        "Turkish ambassador Fatih Yıldız was first handed a summons to Iraq’s Foreign Ministry on "
        "Tuesday. According to an Iraqi ministry statement, the Turkish ambassador was told of "
        "the rejection.",
        "en",
    )
    assert set(orgs) == {"mfa:IQ"}
    # w7-eu-am-en-06 (counter-case): a ministry with its portfolio is another organisation.
    orgs = _orgs(
        "A note from the Polish Foreign Ministry will be handed over. The Polish Ministry of "
        "Defence said that it had activated all air defence systems.",
        "en",
    )
    assert "mfa:PL" in orgs
    assert any(k.startswith("other:PL:") and "defence" in k for k in orgs)
    # A state's bare ministry with no foreign ministry of that state named stays as it was.
    orgs = _orgs("Le ministère bangladais a démenti l'information.", "fr")
    assert not any(k.startswith("mfa:") for k in orgs)


def test_state_agency_after_a_possessive_state() -> None:
    # w7-as-ml-en-15: "Myanmar's" names the state of the agency the NER found.
    orgs = _orgs(
        "Border Guards Bangladesh chief Major General Aziz Ahmed told the media Myanmar's Border "
        "Guard Police (BGP) opened fire afresh on the Bangladeshi frontier troops.",
        "en",
    )
    assert "other:MM:border guard police" in orgs
    # Counter-case: the same agency with no state beside it is not given one.
    orgs = _orgs("The Border Guard Police opened fire afresh on the frontier troops.", "en")
    assert not any("border guard" in k for k in orgs)


def test_bodies_by_their_own_names_the_kb_lacked() -> None:
    # w7-af-me-fr-18: the Indian Ocean Commission is an intergovernmental body, not India's.
    orgs = _orgs(
        "Cette rencontre fait suite à une réunion de la Commission de l’Océan Indien qui s’est "
        "tenue à Tana la semaine dernière.",
        "fr",
    )
    assert "id:INDIAN_OCEAN_COMMISSION" in orgs
    assert not any(k.startswith("other:IN:") for k in orgs)
    # Counter-case: the ocean named alone is a place.
    assert not _orgs("Les deux îles de l’océan Indien veulent coopérer.", "fr")
    # w7-eu-am-en-12: USAID's name without "U.S." is USAID.
    orgs = _orgs(
        "The delegation was led by Samantha Power. The Agency for International Development "
        "will fund the programme.",
        "en",
    )
    assert "id:US_USAID" in orgs
