"""Issue 12, persons on unseen outlets (wave7-dev, session 8): general classes read from the
errors of wave7-dev and checked on the other dev sets, each with a real sentence of wave7-dev
(ids in the comments) and an invented counter-case where the rule must not fire."""

from tests.support.persons import persons_of


def test_a_name_after_an_honorific_is_a_name_whatever_the_ner_calls_it() -> None:
    # w7-af-me-fr-24: "le Dr Gedion Timothewos" is one MISC entity, the first name a noun.
    found = persons_of(
        "Le chef de l’Etat djiboutien, Ismail Omar Guelleh, a reçu dernièrement, au Palais de la "
        "République, le ministre éthiopien des Affaires étrangères, le Dr Gedion Timothewos, qui "
        "conduisait une importante délégation.",
        "fr",
    )
    # The nationality word splits "ministre des Affaires étrangères": the role read is "minister".
    assert found.get("Gedion Timothewos") == ("minister", "ET")
    # w7-af-me-fr-02: a honorific of several words between the role and the name.
    found = persons_of(
        "Envoyée spéciale du Président sénégalais, Son Excellence M. Bassirou Dioumaye Faye, la "
        "ministre était porteuse d’un message écrit.",
        "fr",
    )
    assert found.get("Bassirou Dioumaye Faye") == ("head_of_state", "SN")
    # Invented counter-case: a name after an honorific with no role stays no official.
    assert persons_of("M. Jean Dupont, boulanger à Lyon, a témoigné jeudi.", "fr") == {}
