"""Issue 12 part 3, organisations (session 9): bilateral joint bodies found by shape (LABELLING.md
P9 labels them), English title-case acronyms ("Nato", "Asean"), state intelligence agencies,
a foreign ministry known by its own name (Wisma Putra) and UN disarmament and regional bodies
the KB lacked. The sentences are written for the form they test, with other states and bodies
than the labelled sets'."""

from diplowire.enrich import diplo, nlp


def _orgs(text: str, lang: str) -> dict[str, tuple[str | None, set[str]]]:
    """Key -> (country, mention texts) of the organisations found in ``text``."""
    pipeline = nlp.load(lang)
    assert pipeline is not None
    facts = diplo.analyze(pipeline(text), lang)
    return {
        diplo.org_key(o, lang): (o.country, {m.text for m in o.mentions})
        for o in facts.organizations
    }


def _mentions(orgs: dict[str, tuple[str | None, set[str]]]) -> set[str]:
    return {m for _, ms in orgs.values() for m in ms}


def test_english_joint_body_named_by_its_pair_of_states_or_a_joint_word() -> None:
    orgs = _orgs(
        "Ministers from both countries attended the 5th session of the Ghana-Togo "
        "Permanent Joint Commission for Cooperation in Accra on Tuesday.",
        "en",
    )
    assert "Ghana-Togo Permanent Joint Commission" in _mentions(orgs)
    # A joint body belongs to neither state: no country, so it makes no state act.
    assert all(
        c is None for c, ms in orgs.values() if "Ghana-Togo Permanent Joint Commission" in ms
    )
    orgs = _orgs(
        "The 11th Bi-National Commission of Kenya and Uganda opened in Kampala, "
        "where the Egyptian-Sudanese Military Committee also met.",
        "en",
    )
    assert {"Bi-National Commission", "Egyptian-Sudanese Military Committee"} <= _mentions(orgs)
    # Not a state's agency: "Bi-National Commission of Kenya" is no Kenyan body.
    assert not any(k.startswith("other:KE:") for k in orgs)
    # Named twice in two ways: one body with both mention forms.
    orgs = _orgs(
        "Senegal, Gambia Hold 4th Session of High Level Joint Commission. The fourth session of "
        "the Senegalese-Gambian Joint Commission opened on Monday in Banjul.",
        "en",
    )
    joint = [ms for k, (_, ms) in orgs.items() if k.startswith("other:None:")]
    assert joint == [{"High Level Joint Commission", "Senegalese-Gambian Joint Commission"}]
    # An international body's organ is not a joint body.
    orgs = _orgs("The European Commission and the UN Security Council said on Monday.", "en")
    assert not any(k.startswith("other:") for k in orgs)


def test_french_commission_mixte_and_compound_demonym_council() -> None:
    orgs = _orgs(
        "Les deux ministres ont regretté que la grande commission mixte de coopération entre "
        "les deux pays ne se soit pas réunie depuis 2015.",
        "fr",
    )
    assert "grande commission mixte de coopération" in _mentions(orgs)
    orgs = _orgs(
        "La troisième session de la Commission mixte de coopération entre la République du "
        "Bénin et la République du Niger s’est ouverte à Cotonou.",
        "fr",
    )
    assert (
        "Commission mixte de coopération entre la République du Bénin et la République du Niger"
        in _mentions(orgs)
    )
    # A pair of states after the name belongs to it.
    orgs = _orgs("La Commission mixte de coopération Bénin-Togo s’est réunie à Lomé.", "fr")
    assert "Commission mixte de coopération Bénin-Togo" in _mentions(orgs)
    orgs = _orgs(
        "Les deux chefs d’État tiendront la prochaine session du Conseil présidentiel "
        "ivoiro-burkinabè à Abidjan.",
        "fr",
    )
    assert any(m.startswith("Conseil présidentiel ivoiro") for m in _mentions(orgs))
    # A national body is not a joint one.
    orgs = _orgs("La commission nationale des droits de l’homme a publié un rapport.", "fr")
    assert not any(m.lower().startswith("commission nationale") for m in _mentions(orgs))


def test_title_case_acronyms_agencies_and_bodies_the_kb_lacked() -> None:
    orgs = _orgs(
        "Nato allies and Asean members met as Wisma Putra said Kuala Lumpur would attend the "
        "Conference on Disarmament; Britain accused Russia's GRU and SVR services.",
        "en",
    )
    assert {"id:NATO", "id:ASEAN", "id:MY_WISMA", "id:CD", "id:RU_GRU", "id:RU_SVR"} <= set(orgs)
    assert orgs["id:RU_GRU"][0] == "RU"
    orgs = _orgs(
        "Le Mali, la Mauritanie et le Sénégal siègent à l’Organisation pour la mise en valeur "
        "du fleuve Sénégal (OMVS) et à la Conférence du désarmement.",
        "fr",
    )
    assert {"id:OMVS", "id:CD"} <= set(orgs)
    # South Africa's ministry written in lower case, as agencies quote it.
    orgs = _orgs(
        "In a statement, the department of international relations and cooperation said the "
        "envoy had been recalled.",
        "en",
    )
    assert "id:ZA_DIRCO" in orgs
