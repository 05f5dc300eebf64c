"""Topic fixes by general class, read from wave5-dev's errors (issue 12, session 8): each test
holds a real sentence of an allowed set (wave5-dev, wave3 dev split, dev, dev2) and, where the
class has one, the counter-case the fix must leave alone. Never the test splits or wave 4/6."""

from diplowire.enrich import diplo, nlp
from diplowire.enrich.diplo.context import Ctx, OrgFound
from diplowire.enrich.diplo.countries import country_mentions
from diplowire.enrich.diplo.organisations import agency_orgs, composed_orgs, merge_orgs, named_orgs
from diplowire.enrich.diplo.topics import evidence_of


def diplo_orgs(text: str) -> list[OrgFound]:
    """The organisations the enricher finds, as ``facts.analyze`` hands them to the topics."""
    pipeline = nlp.load("en")
    assert pipeline is not None
    ctx = Ctx(pipeline(text), "en")
    country_mentions(ctx)
    return merge_orgs(named_orgs(ctx) + composed_orgs(ctx) + agency_orgs(ctx))


def topics(text: str, lang: str) -> set[str]:
    pipeline = nlp.load(lang)
    assert pipeline is not None
    return {t.name for t in diplo.analyze(pipeline(text), lang).topics}


def test_a_cue_word_inside_an_international_bodys_name_is_not_the_topic() -> None:
    # w5-af-me-en-16 (ecowas.int): "Economic" is the body's name, the story is a summit.
    text = (
        "ECOWAS Leaders to hold Extraordinary Summit Virtually on the Political Situation in "
        "Burkina Faso\n\nAbuja, Nigeria January 26, 2022. H.E. Nana Addo Dankwa Akufo-Addo, "
        "President of the Republic of Ghana and Chairman of the Authority of Heads of State and "
        "Government of the Economic Community of West African States (ECOWAS) has convened an "
        "Extraordinary Summit of the Authority on the political situation in Burkina Faso."
    )
    found = topics(text, "en")
    assert "summits_visits" in found
    assert "trade_economic" not in found
    # The same word outside the name is still evidence.
    other = text.replace("(ECOWAS) has convened", "(ECOWAS) has convened an economic forum and")
    pipeline = nlp.load("en")
    assert pipeline is not None
    words = [e.surface for e in evidence_of(Ctx(pipeline(other), "en"), diplo_orgs(other))]
    assert words.count("economic") == 1


def test_a_states_own_bank_in_its_name_still_counts_as_finance() -> None:
    # dev en-02's class: a state's central bank named in the story is evidence of finance;
    # only international bodies' names are set aside.
    text = (
        "Russia freezes U.S. bonds\n\nThe Russian Central Bank said on Tuesday that it would "
        "sell U.S. bonds held by the National Welfare Fund."
    )
    assert "finance_banking" in topics(text, "en")


def test_a_recall_told_with_another_verb_is_diplomatic_missions() -> None:
    # w5-af-me-en-11 (rocketparrot.com): the recall is told with "called back", not "recalled".
    text = (
        "\n\nIsrael has called back its ambassadors from two European nations after Ireland, "
        "Norway, and Spain formally recognized Palestine as an independent state."
    )
    assert "diplomatic_missions" in topics(text, "en")
    # The bare verb, with no envoy, stays out ("withdraw its support" is no recall).
    assert "diplomatic_missions" not in topics(
        text.replace("called back its ambassadors from", "withdrawn its support for"), "en"
    )


def test_a_summons_in_the_present_plural_is_evidence_of_diplomatic_missions() -> None:
    # w5-as-ml-fr-03 (fr.helm.news): "convoquent" in the headline was no evidence at all.
    pipeline = nlp.load("fr")
    assert pipeline is not None
    doc = pipeline("Les Philippines convoquent un diplomate chinois au sujet des garde-côtes")
    found = {(e.topic, e.surface) for e in evidence_of(Ctx(doc, "fr"), [])}
    assert ("diplomatic_missions", "convoquent") in found


def test_one_field_in_a_long_enumeration_is_a_subject_in_passing() -> None:
    # w5-as-ml-fr-18: the accord is the story; "commerce" is one of five fields it covers.
    text = (
        "\n\nLe président du gouvernement Louis Mapou et le Premier ministre Sitiveni Rabuka ont "
        "signé, le 24 février, un accord sur le tourisme, l’environnement, le commerce, la pêche "
        "ou encore l’agriculture."
    )
    found = topics(text, "fr")
    assert "treaties_agreements" in found
    assert "trade_economic" not in found
    # The same field named alone is the accord's subject.
    alone = text.replace("le tourisme, l’environnement, le commerce, la pêche ou encore", "le")
    alone = alone.replace("l’agriculture", "commerce")
    assert "trade_economic" in topics(alone, "fr")


def test_a_drone_in_the_airspace_is_not_aviation() -> None:
    # w5-eu-am-en-09 (Reuters): an airspace incursion behind a summons, not flights.
    text = (
        "\n\nCHISINAU (Reuters) -Moldova summoned Russia's ambassador on Wednesday to complain "
        "about the latest intrusion of drones into its airspace and urged Moscow to take measures "
        "to prevent further instances."
    )
    found = topics(text, "en")
    assert "diplomatic_missions" in found
    assert "aviation_flights" not in found
    # Airspace with airlines or flights is still aviation.
    closed = "\n\nRussia closed its airspace to European airlines and cancelled their flights."
    assert "aviation_flights" in topics(closed, "en")


def test_the_adjective_economic_once_in_the_lede_is_not_trade() -> None:
    # w5-af-me-en-05: "economic" qualifies development in a meeting story.
    text = (
        "Foreign Minister meets Muscat mission heads\n\nThe aim of the meeting was to exchange "
        "views and clarify issues related to the economic and social development of Oman, as "
        "well as its foreign policy."
    )
    assert "trade_economic" not in topics(text, "en")
    # The noun, or the adjective with trade beside it, still makes a trade story.
    assert "trade_economic" in topics(
        text.replace("economic and social development", "economy"), "en"
    )
    assert "trade_economic" in topics(text.replace("social development", "trade ties"), "en")


def test_an_exchange_of_views_is_talks() -> None:
    # w5-as-ml-en-17 (Nepal's foreign ministry): the talks are told as an exchange of views.
    text = (
        "Nepal-Sri Lanka Joint Commission Meeting Concluded\n\nThe overall state of bilateral "
        "relations between Nepal and Sri Lanka was reviewed in an atmosphere of warmth and "
        "cordiality. During the meeting, the two sides exchanged substantive views on further "
        "deepening bilateral relations."
    )
    assert "talks_negotiations" in topics(text, "en")


def test_telephone_conversations_in_the_plural_are_talks() -> None:
    # w5-eu-am-en-18: a headline in capitals, plural.
    text = (
        "THE FIRST TELEPHONE CONVERSATIONS OF THE HEAD OF THE MINISTRY OF FOREIGN AFFAIRS OF "
        "POLAND\n\nAs reported in the communiqué of the Foreign Ministry, the state of bilateral "
        "relations was discussed in a conversation with the Hungarian counterpart."
    )
    assert "talks_negotiations" in topics(text, "en")


def test_multilateral_in_passing_is_not_the_un() -> None:
    # w5-eu-am-fr-24: "aux niveaux régional et multilatéral" in a visit's lede (weak, as in en).
    text = (
        "\n\nLe ministre mexicain des Affaires étrangères, Marcelo Luis Ebrard Casaubón, a reçu le "
        "ministre français de l’Europe et des Affaires étrangères, Jean-Yves Le Drian, lors de sa "
        "visite de travail au Mexique, pour discuter de l’approfondissement des relations "
        "bilatérales et engagements des deux pays aux niveaux régional et multilatéral."
    )
    found = topics(text, "fr")
    assert "summits_visits" in found
    assert "un_multilateral" not in found


def test_financial_sanctions_are_sanctions_not_finance() -> None:
    # w5-af-me-fr-10 (the Cédéao lifts its sanctions): "financières" qualifies the sanctions.
    text = (
        "\n\nLa Communauté des États de l’Afrique de l’Ouest (Cédéao) a précisé dimanche 25 "
        "février 2024 dans un communiqué lever les sanctions financières contre la Guinée ainsi "
        "que des restrictions contre le Mali."
    )
    found = topics(text, "fr")
    assert "sanctions" in found
    assert "finance_banking" not in found
