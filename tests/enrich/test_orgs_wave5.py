"""Issue 12, organisations on unseen outlets (wave5-dev, session 8): general classes read from
the errors of wave5-dev, each with a real sentence of that set (ids in the comments) and a
counter-case where the rule must not fire."""

from diplowire.enrich import diplo, nlp


def _keys(text: str, lang: str) -> set[str]:
    pipeline = nlp.load(lang)
    assert pipeline is not None
    facts = diplo.analyze(pipeline(text), lang)
    return {diplo.org_key(o, lang) for o in facts.organizations}


def test_state_news_agency_is_no_organisation_of_the_story() -> None:
    # w5-af-me-en-19: the agency that reports the expulsion is the source, not a party.
    keys = _keys(
        "Bahrain has asked the Lebanese ambassador to leave the country immediately, Bahrain "
        "News Agency (BNA) reported.",
        "en",
    )
    assert not any("news agency" in k for k in keys)
    # w5-af-me-fr-13: the same in French.
    keys = _keys(
        "L’Agence nationale de presse libanaise a rapporté que le ministre libanais des "
        "Affaires étrangères a reçu l’ambassadeur.",
        "fr",
    )
    assert not any("presse" in k for k in keys)
    # A state agency that is not a medium is kept (w3-as-ml-en-16's class).
    assert any(
        k.startswith("other:PH:")
        for k in _keys("The Philippine Coast Guard said Chinese vessels blocked the boats.", "en")
    )


def test_demonyms_of_smaller_states_name_their_bodies() -> None:
    # w5-af-me-en-17: "Bahraini" was missing from the KB, so the ministry had no state.
    assert "mfa:BH" in _keys(
        "Today, Tuesday, the Bahraini Ministry of Foreign Affairs called on all its citizens "
        "present in Lebanon to leave.",
        "en",
    )
    # The same class in French: "l'ambassade uruguayenne".
    assert "mission:UY:embassy" in _keys("L'ambassade uruguayenne à Buenos Aires a fermé.", "fr")


def test_french_mission_heads_and_coast_guards_with_their_state() -> None:
    # w5-as-ml-fr-16: a bare "mission" with a nationality word and a city.
    assert "mission:IN:embassy" in _keys(
        "Certaines mouvances extrémistes ont annoncé vouloir créer une situation de tension "
        "autour de la mission indienne à Dhaka.",
        "fr",
    )
    # w5-as-ml-fr-02: "garde-côtes" is a state agency, sent by the state after it.
    keys = _keys(
        "« Les garde-côtes philippins condamnent fermement les manoeuvres dangereuses des "
        "garde-côtes chinois », a déclaré le porte-parole.",
        "fr",
    )
    assert {"other:PH:garde-côtes philippins", "other:CN:garde-côtes chinois"} <= keys
    # A "mission" with no sending state is no diplomatic mission.
    assert not any(
        k.startswith("mission:")
        for k in _keys("Il était en mission à Kiev la semaine passée.", "fr")
    )
