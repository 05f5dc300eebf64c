"""Issue 12, organisations (session 10): general classes read from the errors of all DEV sets,
each with a real sentence of an allowed set (ids in the comments) and a counter-case where the
rule must not fire; and the English and French KBs naming the same organisations."""

from diplowire.enrich import diplo, kb, nlp
from diplowire.wire.article import Organization


def _orgs(text: str, lang: str) -> dict[str, Organization]:
    pipeline = nlp.load(lang)
    assert pipeline is not None
    facts = diplo.analyze(pipeline(text), lang)
    return {diplo.org_key(o, lang): o for o in facts.organizations}


def test_organisation_before_a_named_persons_role_is_part_of_the_title() -> None:
    # w9-af-me-en-22: the ministry is named only in the spokesperson's title (LABELLING P9).
    orgs = _orgs(
        "Chinese Foreign Ministry spokesperson Mao Ning said Beijing is ready to help.", "en"
    )
    assert "mfa:CN" not in orgs
    # w9-as-ml-en-24: "China's U.N. Ambassador Wang Guangya" names no UN of the story.
    orgs = _orgs("China's U.N. Ambassador Wang Guangya opposed the resolution.", "en")
    assert "id:UN" not in orgs
    # Counter-cases: no name after the role, so the ministry itself is in the story; a KB name
    # carrying its state ("US State Department") stays, or the state would leave the story.
    orgs = _orgs("A Chinese Foreign Ministry spokesperson said Beijing is ready to help.", "en")
    assert "mfa:CN" in orgs
    pipeline = nlp.load("en")
    assert pipeline is not None
    facts = diplo.analyze(
        pipeline("Penny Wong met US State Department Secretary Antony Blinken in Tokyo."), "en"
    )
    assert "US" in {c.code for c in facts.countries}


def test_dateline_naming_the_un_is_a_place() -> None:
    # w5-as-ml-en-02, w7-as-ml-fr-13: the body opens with where it was filed.
    orgs = _orgs(
        "India abstained from a UN General Assembly resolution condemning Russia\n\nUnited "
        "Nations: Maintaining its neutrality, India abstained on a UN General Assembly "
        "resolution condemning Russia's annexation of Ukrainian territories.",
        "en",
    )
    assert "id:UNGA" in orgs and "id:UN" not in orgs
    orgs = _orgs(
        "Birmanie : une résolution adoptée\n\nNATIONS UNIES (AP) – L'Assemblée générale des "
        "Nations Unies a adopté vendredi une résolution.",
        "fr",
    )
    assert "id:UNGA" in orgs and "id:UN" not in orgs
    # Counter-case: the UN acting in the body's first sentence is the organisation.
    orgs = _orgs("Vote on Myanmar\n\nThe United Nations said on Monday it was concerned.", "en")
    assert "id:UN" in orgs


def test_kb_name_inside_a_longer_name_is_not_that_body() -> None:
    # w9-af-me-en-22: Iran's council is not the UN Security Council.
    orgs = _orgs(
        "Ali Shamkhani, the secretary of Iran's Supreme National Security Council, met the "
        "Saudi national security adviser.",
        "en",
    )
    assert "id:UNSC" not in orgs
    orgs = _orgs("Russia vetoed the resolution in the Security Council on Friday.", "en")
    assert "id:UNSC" in orgs


def test_kb_bodies_and_heads_the_kb_lacked() -> None:
    # w9-af-me-fr-13 (and w3-af-me-fr-19): Niger's ruling council.
    orgs = _orgs(
        "Dans une note datée du 29 août, le MAE nommé par le Conseil national pour la "
        "sauvegarde de la patrie (CNSP) a rétorqué que la question était irrévocable.",
        "fr",
    )
    assert "id:NE_CNSP" in orgs and orgs["id:NE_CNSP"].country == "NE"
    # w9-as-ml-en-05: a coast guard named by its state, lower case (the French KB had it).
    orgs = _orgs(
        "In Beijing, the Chinese coast guard acknowledged its ships used water cannons.", "en"
    )
    assert any(o.country == "CN" and "coast guard" in o.name for o in orgs.values())
    # w5-af-me-fr-13: "Nations Unies" as often as "Nations unies" inside a longer name.
    orgs = _orgs(
        "Il a rencontré le commandant de la Force intérimaire des Nations Unies au Liban.", "fr"
    )
    assert set(orgs) <= {"id:UNIFIL"}


def test_english_and_french_kbs_name_the_same_organisations() -> None:
    en = {o.id for o in kb.load("en").orgs}
    fr = {o.id for o in kb.load("fr").orgs}
    assert en == fr


def test_their_missions_after_two_states_belong_to_neither_alone() -> None:
    # w9-af-me-en-21, w7-eu-am-fr-09: "their embassies" are both states' missions, not the
    # second state's.
    orgs = _orgs(
        "Iran and Saudi Arabia have agreed to restore diplomatic relations and reopen their "
        "embassies, following four days of talks in Beijing.",
        "en",
    )
    assert not any(k.startswith("mission:") for k in orgs)
    orgs = _orgs(
        "Les USA et Cuba viennent de procéder officiellement à la réouverture de leurs "
        "ambassades à Washington et La Havane.",
        "fr",
    )
    assert not any(k.startswith("mission:") for k in orgs)
    # Counter-case (w3-eu-am-fr-07): one state's possessive missions are that state's.
    orgs = _orgs("Le Venezuela fermera son ambassade et tous ses consulats aux États-Unis.", "fr")
    assert "mission:VE:embassy" in orgs and "mission:VE:consulate" in orgs


def test_possessive_ending_is_no_part_of_an_agency_name() -> None:
    # w7-af-me-en-22: the possessive ending is no part of an agency's name.
    orgs = _orgs(
        "The Turkish Communications Department's statement cited Erdogan as praising Libya.",
        "en",
    )
    assert not any(o.name.endswith("'s") for o in orgs.values())
