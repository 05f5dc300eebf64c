"""Topics need evidence that the story is about them (issue 12, part 3): a cue word in the
headline or lede, or evidence in more than one place; one word in passing later on is not enough.
Sentences and items are real (eval/data: wave3 dev split and dev2), never the test splits."""

from functools import cache
from typing import Any

from diplowire.enrich import diplo, nlp
from diplowire.enrich.diplo.topics import Evidence, score_topics
from eval import evaluate


def topics(text: str, lang: str) -> set[str]:
    pipeline = nlp.load(lang)
    assert pipeline is not None
    return {t.name for t in diplo.analyze(pipeline(text), lang).topics}


@cache
def _dev_items() -> dict[str, dict[str, Any]]:
    items = [*evaluate.load_set("wave3-dev"), *evaluate.load_set("dev2")]
    assert all(i.get("split", "dev") == "dev" for i in items)
    return {i["id"]: i for i in items}


def item_topics(item_id: str) -> set[str]:
    item = _dev_items()[item_id]
    return topics(f"{item['title']}\n\n{item['text']}", item["lang"])


# --------------------------------------------------------------------------- pure scoring


def ev(topic: str, weight: float, key: str, sentence: int, lead: bool) -> Evidence:
    return Evidence(topic, weight, key, sentence, lead, key)


def test_one_strong_word_once_outside_the_lead_is_not_a_topic() -> None:
    assert score_topics([ev("trade_economic", 1.0, "economic", 7, False)]) == ()


def test_the_same_word_in_the_lead_is_a_topic() -> None:
    (t,) = score_topics([ev("trade_economic", 1.0, "economic", 1, True)])
    assert t.name == "trade_economic" and t.evidence == ("economic",)


def test_evidence_in_two_sentences_is_a_topic_without_the_lead() -> None:
    out = score_topics(
        [ev("sanctions", 1.0, "sanctions", 5, False), ev("sanctions", 0.5, "x", 9, False)]
    )
    assert [t.name for t in out] == ["sanctions"]


def test_a_specific_phrase_of_several_words_stands_alone_late() -> None:
    # "vols aériens" once, deep in the seed story: a phrase that names its subject...
    out = score_topics([Evidence("aviation_flights", 1.0, "88", 15, False, "vols aériens")])
    assert [t.name for t in out] == ["aviation_flights"]
    # ...but not a weak phrase, nor an organisation's name of several words.
    assert score_topics([Evidence("aviation_flights", 0.5, "91", 15, False, "deux vols")]) == ()
    assert score_topics([Evidence("un_multilateral", 1.0, "o:x", 15, False, "Nations unies")]) == ()


def test_a_weak_word_repeated_late_stays_weak() -> None:
    # "réunion" three times in the body (the seed story): 0.5 + 2 × a quarter of it.
    out = score_topics([ev("summits_visits", 0.5, "réunion", s, False) for s in (4, 6, 19)])
    assert out == ()


def test_a_weak_word_in_the_headline_and_lede_adds_up() -> None:
    out = score_topics([ev("diplomatic_missions", 0.5, "ambassador", s, True) for s in (0, 1, 3)])
    assert [t.name for t in out] == ["diplomatic_missions"]


# --------------------------------------------------------------------------- real text


def test_passing_economic_late_in_a_visit_story_is_not_trade() -> None:
    # "...a range of issues ... including in the areas of economic and development cooperation"
    # in the story's 4th sentence; the story is the visit and the talks.
    found = item_topics("w3-as-ml-en-27")
    assert "trade_economic" not in found
    assert {"summits_visits", "talks_negotiations"} <= found


def test_a_bare_un_mention_late_is_not_un_multilateral() -> None:
    # "...des discussions diplomatiques avec de nombreux pays et institutions internationales,
    # notamment l'ONU": the story is about Taliban diplomats taking up posts.
    found = item_topics("w3-as-ml-fr-16")
    assert "un_multilateral" not in found
    assert "diplomatic_missions" in found


def test_summoned_ambassador_is_diplomatic_missions() -> None:
    found = topics("China summons Japanese ambassador over G7 comment on Taiwan", "en")
    assert "diplomatic_missions" in found


def test_recalled_ambassador_is_diplomatic_missions() -> None:
    text = (
        "L’Algérie vient de rappeler son ambassadeur en France pour « consultations » suite à "
        "« l’exfiltration » de la militante Amira Bouraoui."
    )
    assert "diplomatic_missions" in topics(text, "fr")


def test_credentials_are_diplomatic_missions() -> None:
    text = (
        "Diplomatie : Quatre nouveaux ambassadeurs accrédités en Côte d’Ivoire présentent leurs "
        "lettres de créance au chef de l’Etat."
    )
    assert "diplomatic_missions" in topics(text, "fr")


def test_expulsion_told_without_the_verb() -> None:
    hours = (
        '"Suivant les cas, les intéressés disposent d’un délai de 24 ou 48 heures pour quitter le '
        'territoire national", a-t-il ajouté.'
    )
    assert "expulsions" in topics(hours, "fr")
    ordered = (
        "Selon le courrier du ministère burkinabè des affaires étrangères, ils sont sommés de "
        "quitter Ouagadougou sous 48H."
    )
    assert "expulsions" in topics(ordered, "fr")


# --------------------------------------------------------------------------- phrases (part 3)


def test_a_phone_call_is_talks() -> None:
    # w3-af-me-en-01: the call's topic is told with the weak "discussed" only.
    text = (
        "Saudi Foreign Minister Receives Phone Call From US Secretary Of State\n\n"
        "During the call, they discussed bilateral relations."
    )
    assert "talks_negotiations" in topics(text, "en")


def test_a_peace_treaty_is_a_treaty_not_a_conflict() -> None:
    # w3-eu-am-en-09: "peace" inside "peace treaty" is no evidence of fighting.
    found = topics(
        "Armenian, Azerbaijani Foreign Ministers discuss potential peace treaty\n\n"
        "Armenian Foreign Minister Ararat Mirzoyan and Foreign Minister of Azerbaijan Jeyhun "
        "Bayramov discussed a potential peace treaty during a phone call Wednesday.",
        "en",
    )
    assert "treaties_agreements" in found
    assert "conflict_ceasefire" not in found


def test_an_economic_blockade_is_sanctions_not_trade() -> None:
    # w3-eu-am-fr-20
    found = topics(
        "L'Assemblée générale des Nations unies a approuvé jeudi une résolution appelant à la "
        "levée du blocus économique américain de Cuba.",
        "fr",
    )
    assert "sanctions" in found
    assert "trade_economic" not in found


def test_recalled_for_consultations_and_summoned_envoy_are_diplomatic_missions() -> None:
    # w3-eu-am-fr-11, w3-af-me-en-16
    recalled = (
        "Le ministère biélorusse des Affaires étrangères a suggéré que le représentant de l'UE à "
        "Minsk soit également rappelé à Bruxelles pour consultations."
    )
    assert "diplomatic_missions" in topics(recalled, "fr")
    summoned = (
        "Nigeria on Tuesday summoned South Africa’s envoy over allegations that South African "
        "police suffocated a Nigerian national to death while he was in custody."
    )
    assert "diplomatic_missions" in topics(summoned, "en")


def test_air_strikes_are_not_aviation() -> None:
    found = topics("Des frappes aériennes ont visé la capitale dans la nuit.", "fr")
    assert "aviation_flights" not in found
    assert "conflict_ceasefire" in found
