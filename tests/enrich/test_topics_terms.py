"""Topic terms added from the DEV errors read in session 9 (issue 12, labelling rules P11/P12):
gold topics that had no candidate at all because no KB term named them in one language. Each
test holds a sentence of an allowed DEV set (wave7-dev, wave9-dev, wave3 dev split) and checks
the evidence the learned decision reads (``topics.evidence_of``), plus a counter-case."""

from diplowire.enrich import nlp
from diplowire.enrich.diplo.context import Ctx
from diplowire.enrich.diplo.countries import country_mentions
from diplowire.enrich.diplo.organisations import agency_orgs, composed_orgs, merge_orgs, named_orgs
from diplowire.enrich.diplo.topics import Evidence, evidence_of


def evidence(text: str, lang: str) -> list[Evidence]:
    """The evidence ``facts.analyze`` hands to the topic decision."""
    pipeline = nlp.load(lang)
    assert pipeline is not None
    ctx = Ctx(pipeline(text), lang)
    country_mentions(ctx)
    return evidence_of(ctx, merge_orgs(named_orgs(ctx) + composed_orgs(ctx) + agency_orgs(ctx)))


def topics(text: str, lang: str) -> set[str]:
    return {e.topic for e in evidence(text, lang)}


def test_a_joint_commission_session_is_talks() -> None:
    # w7-af-me-fr-20: the whole story is a joint commission's session (gold talks_negotiations).
    text = (
        "Deuxième session de la Commission Mixte de Coopération entre Madagascar et l’Union des "
        "Comores\n\nLa deuxième session de la Commission Mixte de Coopération entre la République "
        "de Madagascar et l’Union des Comores s’est tenue à Antananarivo, le 19 mai 2023."
    )
    assert "talks_negotiations" in topics(text, "fr")
    en = "The eighth session of the Moroccan-Mauritanian High Joint Commission opened on Monday."
    assert "talks_negotiations" in topics(en, "en")


def test_intergovernmental_consultations_are_talks_a_recall_for_consultations_is_not() -> None:
    # w9-eu-am-fr-25 (gold talks_negotiations) against w9-af-me-fr-25 (a recall: missions).
    text = (
        "Le Premier ministre tchèque a annoncé la suspension des consultations régulières entre "
        "les gouvernements tchèque et slovaque."
    )
    assert "talks_negotiations" in topics(text, "fr")
    recall = "Le gouvernement a immédiatement ordonné le rappel de l'ambassadeur en consultations."
    found = topics(recall, "fr")
    assert "diplomatic_missions" in found
    assert "talks_negotiations" not in found


def test_a_deadline_to_leave_is_an_expulsion() -> None:
    # w9-af-me-fr-13 and w3-eu-am-en-14: an expulsion told without the verb.
    fr = (
        "La junte a exigé le départ de l'ambassadeur de France le 25 août 2023 dans un délai "
        "de 48 heures."
    )
    weight = sum(e.weight for e in evidence(fr, "fr") if e.topic == "expulsions")
    assert weight >= 1.0
    en = "The ministry summoned the ambassador and offered him to leave Ukraine within 48 hours."
    assert "expulsions" in topics(en, "en")


def test_a_meeting_weighs_the_same_in_french_and_english() -> None:
    # P12: a meeting without travel is talks, not a visit; "rencontre" weighed like a visit.
    fr = [e for e in evidence("Une rencontre entre les deux ministres a eu lieu.", "fr")]
    en = [e for e in evidence("A meeting between the two ministers took place.", "en")]
    fr_w = {e.weight for e in fr if e.topic == "summits_visits"}
    en_w = {e.weight for e in en if e.topic == "summits_visits"}
    assert fr_w == en_w == {0.5}
