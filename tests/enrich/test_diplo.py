"""Diplomatic analysis on real sentences (from the labelled sets), through the real spaCy models."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from diplowire.enrich import diplo, nlp
from diplowire.enrich import kb as kbmod
from eval import evaluate

DATA = Path(__file__).resolve().parents[2] / "eval" / "data"


@cache
def _items() -> dict[str, dict[str, Any]]:
    out = {}
    names = ("dev", "dev2", "heldout", "test")
    for name in (f"diplomatic-{n}.jsonl" for n in names):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            out[item["id"]] = item
    return out


def facts_of(text: str, lang: str, learned_actors: bool = True) -> diplo.DiploFacts:
    pipeline = nlp.load(lang)
    assert pipeline is not None
    return diplo.analyze(pipeline(text), lang, learned_actors=learned_actors)


def facts_item(
    item_id: str, dated: bool = False, learned_actors: bool = True
) -> tuple[diplo.DiploFacts, str]:
    item = _items()[item_id]
    body = f"{item['title']}\n\n{item['text']}"
    pipeline = nlp.load(item["lang"])
    assert pipeline is not None
    published = item.get("published") if dated else None
    return diplo.analyze(
        pipeline(body), item["lang"], published, learned_actors=learned_actors
    ), body


# --------------------------------------------------------------------------- the seed story


def test_seed_countries_actors_and_dyad() -> None:
    facts, body = facts_item("seed-fr")
    by_code = {c.code: c for c in facts.countries}
    assert by_code["RU"].actor and by_code["US"].actor
    assert "UA" in by_code and not by_code["UA"].actor  # mentioned, not acting
    assert "TR" not in by_code  # Türkiye only locates Istanbul, the venue
    assert facts.dyads == ("RU-US",)
    # Offsets point into Article.body(), which is exactly the Doc text.
    for country in facts.countries:
        for m in country.mentions:
            assert body[m.start : m.end] == m.text
    surfaces = {m.text for m in by_code["RU"].mentions}
    assert {"Russie", "russe", "Moscou"} <= surfaces
    assert "partie russe" in body and "russe" in surfaces


def test_seed_darchiev_is_russian_ambassador_posted_to_us() -> None:
    facts, _ = facts_item("seed-fr")
    darchiev = next(p for p in facts.persons if "Darchiev" in p.name)
    assert darchiev.name == "Alexander Darchiev"
    assert (darchiev.role, darchiev.country, darchiev.posted_to) == ("ambassador", "RU", "US")
    bruce = next(p for p in facts.persons if "Bruce" in p.name)
    assert (bruce.role, bruce.country) == ("spokesperson", "US")


def test_seed_organisations() -> None:
    facts, _ = facts_item("seed-fr")
    orgs = {o.name: o for o in facts.organizations}
    consulate = orgs["consulat russe à Istanbul"]
    assert (consulate.type, consulate.country, consulate.city) == (
        "diplomatic_mission",
        "RU",
        "Istanbul",
    )
    assert len(consulate.mentions) == 2  # "Le consulat russe à Istanbul" is said twice
    state = next(o for o in facts.organizations if o.type == "foreign_ministry")
    assert state.country == "US"
    assert any(o.name == "ONU" and o.type == "international_org" for o in facts.organizations)
    # "missions diplomatiques russes et américaines" is generic, not an organisation.
    assert len(facts.organizations) == 3


def test_seed_topics_with_evidence() -> None:
    facts, _ = facts_item("seed-fr")
    topics = {t.name: t for t in facts.topics}
    for name in (
        "talks_negotiations",
        "diplomatic_missions",
        "finance_banking",
        "property_assets",
        "visas_travel",
        # The brief: the story is about "diplomatic missions, finance and flights". Flights rest
        # on one phrase deep in the text ("la reprise des vols aériens directs"): a specific
        # several-word term stands alone, where a single cue word would not.
        "aviation_flights",
    ):
        assert name in topics, name
    assert "pourparlers" in topics["talks_negotiations"].evidence
    assert "visas" in topics["visas_travel"].evidence
    assert "vols aériens" in topics["aviation_flights"].evidence
    assert all(0 < t.score <= 1 for t in facts.topics)
    assert "summits_visits" not in topics  # "réunion" alone is weak evidence
    # The founders' gold has un_multilateral too, but it rests on one "l'ONU" in passing in
    # sentence 11: since issue 12 a single cue word needs the lead or a second place.
    assert "un_multilateral" not in topics


# --------------------------------------------------------------------------- other real items


def test_english_embassies_consulates_and_ministry() -> None:
    facts, _ = facts_item("en-02")
    orgs = {(o.type, o.country, o.city) for o in facts.organizations}
    assert ("diplomatic_mission", "US", "Moscow") in orgs
    assert ("diplomatic_mission", "RU", "Washington") in orgs
    assert ("diplomatic_mission", "RU", "New York") in orgs
    assert ("foreign_ministry", "RU", None) in orgs
    lavrov = next(p for p in facts.persons if p.name == "Sergey Lavrov")
    assert (lavrov.role, lavrov.country) == ("foreign_minister", "RU")
    assert facts.dyads == ("RU-US",)


def test_metonymy_capital_and_possessive() -> None:
    facts, _ = facts_item("en-08")  # "Moscow insists on the return ..."
    ru = next(c for c in facts.countries if c.code == "RU")
    assert ru.actor and "Moscow" in {m.text for m in ru.mentions}
    # The dateline "MOSCOW, April 26." is not a mention.
    assert "MOSCOW" not in {m.text for m in ru.mentions}
    facts, _ = facts_item("en-14")  # "Iran's deputy foreign minister, Kazem Gharibabadi"
    kazem = facts.persons[0]
    assert (kazem.name, kazem.role, kazem.country) == (
        "Kazem Gharibabadi",
        "deputy_foreign_minister",
        "IR",
    )


def test_embassy_list_with_coordination_and_pronoun() -> None:
    facts, _ = facts_item("fr-05")
    senders = {o.country for o in facts.organizations if o.type == "diplomatic_mission"}
    assert senders == {"US", "CA", "NL", "NZ", "NO", "FI"}
    assert [p.name for p in facts.persons] == ["Recep Tayyip Erdogan"]  # not Osman Kavala


def test_city_as_venue_is_not_a_country() -> None:
    facts = facts_of("Les pourparlers se sont tenus à Moscou jeudi.", "fr")
    assert facts.countries == ()
    # The capital that is no venue names its state; the rules' verdict (a feature of the actor
    # classifier since issue 12, which does not count the state urged as acting).
    facts = facts_of(
        "Moscou a exhorté Washington à lever les sanctions.", "fr", learned_actors=False
    )
    assert {c.code: c.actor for c in facts.countries} == {"RU": True, "US": True}
    assert "sanctions" in {t.name for t in facts.topics}


def test_demonym_and_official_name_forms() -> None:
    facts = facts_of("La Fédération de Russie et la Türkiye ont signé un accord.", "fr")
    assert {c.code for c in facts.countries} == {"RU", "TR"}
    assert facts.dyads == ("RU-TR",)
    facts = facts_of("The Russian delegation met Turkish officials in Ankara.", "en")
    assert {c.code for c in facts.countries} == {"RU", "TR"}


def test_acronyms_match_case_sensitively() -> None:
    facts = facts_of("Let us know what the US said.", "en")
    assert [c.code for c in facts.countries] == ["US"]
    assert facts.countries[0].mentions[0].text == "US"


def test_org_key_canonicalises_aliases() -> None:
    from diplowire.wire.article import Organization

    a = Organization(name="Nations unies", type="international_org")
    b = Organization(name="ONU", type="international_org")
    assert diplo.org_key(a, "fr") == diplo.org_key(b, "fr") == "id:UN"


def test_kb_loads_per_language_and_topics_are_the_taxonomy() -> None:
    assert {"fr", "en"} <= set(kbmod.languages())
    for lang in ("fr", "en"):
        kb = kbmod.load(lang)
        assert kb.country_names["RU"]
        assert {t.topic for t in kb.topic_terms} == set(kbmod.TOPICS)
    assert kbmod.load("xx").lexicon == {}
    assert kbmod.load("fr") is kbmod.load("fr")  # loaded once per process


def test_pipeline_has_kb_component_and_no_parser() -> None:
    pipeline = nlp.load("fr")
    assert pipeline is not None
    assert diplo.COMPONENT in pipeline.pipe_names
    assert "parser" not in pipeline.pipe_names
    docs = list(pipeline.pipe(["La Russie expulse dix diplomates américains."] * 3))
    assert all(diplo.SPAN_KEY in d.spans for d in docs)


# ------------------------------------------------------------------ persons: dates, speakers


def test_kb_official_only_inside_term_of_office() -> None:
    merz = next(p for p in kbmod.load("fr").persons if p.canonical == "Friedrich Merz")
    assert merz.role_on("2025-02-10") is None
    assert merz.role_on("2025-06-01") == "head_of_government"
    assert merz.role_on(None) == "head_of_government"  # no date: the KB role as is
    putin = next(p for p in kbmod.load("en").persons if p.canonical == "Vladimir Putin")
    assert putin.role_on("2010-01-01") == "head_of_government"
    # Feb 2025: Scholz is chancellor, Merz a candidate.
    facts, _ = facts_item("liberation-une-11", dated=True)
    assert [p.name for p in facts.persons] == ["Olaf Scholz"]


def test_iso_day_accepts_feed_and_iso_dates() -> None:
    assert diplo.iso_day("Mon, 10 Feb 2025 08:40:11 +0000") == "2025-02-10"
    assert diplo.iso_day("2020-07") == "2020-07-01"
    assert diplo.iso_day("2025-09-12T10:00:00Z") == "2025-09-12"
    assert diplo.iso_day("yesterday") is None
    assert diplo.iso_day(None) is None


def test_headline_person_bound_to_role_in_lede() -> None:
    facts, _ = facts_item("liberation-une-6")  # "... pour Albin Kurti" + "le Premier ministre ..."
    kurti = next(p for p in facts.persons if "Kurti" in p.name)
    assert kurti.role == "head_of_government"
    facts, _ = facts_item("un-news-europe-17")  # "...: Bachelet" + "The UN's top rights official"
    assert [p.name for p in facts.persons] == ["Bachelet"]


def test_speaker_beside_a_state_is_an_official_but_not_a_magazine() -> None:
    facts, _ = facts_item("reuters-worldnews-2017-3")  # "... told Der Spiegel magazine"
    assert [p.name for p in facts.persons] == ["Sigmar Gabriel"]
    facts = facts_of("« La Russie ne cédera pas », a déclaré Ivan Petrov.", "fr")
    assert [p.name for p in facts.persons] == ["Ivan Petrov"]
    facts = facts_of("La Russie a tort, explique le professeur André Gerrits.", "fr")
    assert facts.persons == ()


# --------------------------------------------------------------------------- actor rules
# The rules' own verdicts: since issue 12 they are features of the classifier that decides actors
# (tests/enrich/test_actordecision.py), so they are tested as rules here.


def _actors(item_id: str) -> dict[str, bool]:
    facts, _ = facts_item(item_id, learned_actors=False)
    return {c.code: c.actor for c in facts.countries}


def test_host_of_a_visit_is_an_actor() -> None:
    # "This is Kamikawa's first visit to Nepal ..."
    assert _actors("web2-en-04")["NP"]


def test_country_before_a_coordinated_verb_is_no_subject() -> None:
    # "sanctions against Russia, Iran and North Korea and sent it to U.S. President ..."
    actors = _actors("web2-en-10")
    assert actors["RU"] and actors["US"]
    assert not actors["IR"] and not actors["KP"]
    # "FM Qureshi will next visit Russia and return to the country on December 26."
    actors = _actors("web2-en-03")
    assert not actors["RU"]
    # "... reiterating Pakistan's desire to have friendly relations with all neighbours."
    assert actors["PK"] and actors["IR"] and actors["AF"]


def test_former_diplomats_act_for_no_state() -> None:
    # "quatorze anciens diplomates libyens sont désormais \"persona non grata\" en France"
    actors = _actors("web2-fr-12")
    assert actors["FR"] and not actors["LY"]
    assert facts_item("web2-fr-12", learned_actors=False)[0].dyads == ()


def test_kb_role_before_genitive_names_an_actor() -> None:
    # "l'émir du Qatar Sheikh Tamim bin Hamad Al Thani ont signé l'« Accord de Charm el-Cheikh »"
    assert _actors("web2-fr-08")["QA"]


def test_quote_mark_is_not_a_preposition() -> None:
    # "«La Suisse est heureuse de pouvoir ... favoriser votre dialogue»"
    assert _actors("web2-fr-09")["CH"]


def test_those_in_power_in_a_country_act_for_it() -> None:
    # "La junte militaire au pouvoir au Burkina Faso a expulsé trois diplomates français"
    assert _actors("fr-14")["BF"]


def test_genitive_of_an_action_noun_is_its_target() -> None:
    # "... to end Russia's invasion of Ukraine ..."
    actors = _actors("un-news-europe-12")
    assert actors["RU"] and not actors["UA"]


# --------------------------------------------------------------------------- evaluation gate


@pytest.fixture(scope="module")
def dev_scores() -> dict[str, Any]:
    return evaluate.evaluate(evaluate.SETS["dev"])["ours"]


def test_dev_set_targets(dev_scores: dict[str, Any]) -> None:
    assert dev_scores["countries"]["f1"] >= 0.95
    assert dev_scores["persons"]["f1"] >= 0.85
    assert dev_scores["organizations"]["f1"] >= 0.80
    assert dev_scores["topics"]["f1"] >= 0.80
    # No target was set for dyads; this is the measured level minus a margin.
    assert dev_scores["dyads"]["f1"] >= 0.75
    # 0.929 after the actor rules (0.909 before); 0.840 since session 9: the labels were re-read
    # under eval/LABELLING.md (targets and parties to planned acts no longer act) and the
    # classifier is trained on 624 documents, where these 24 weigh little; it
    # gained on every validation set (eval/README.md, "Release 6"). Measured level minus margin.
    assert dev_scores["actors"]["f1"] >= 0.80


def test_dev2_set_floor() -> None:
    # 23 real articles found through search, labelled before the enricher ran on them, then used
    # (with dev) to study actor errors. Measured after the actor rules: countries 0.968,
    # persons 0.903, orgs 0.957, topics 0.756 (0.840 with the topic evidence rule of issue 12),
    # actors 0.982, dyads 0.957 (margin below).
    scores = evaluate.evaluate(evaluate.SETS["dev2"])["ours"]
    assert scores["countries"]["f1"] >= 0.93
    assert scores["persons"]["f1"] >= 0.85
    assert scores["organizations"]["f1"] >= 0.9
    assert scores["topics"]["f1"] >= 0.7
    assert scores["actors"]["f1"] >= 0.90
    # 0.876 since session 9 (re-read labels, classifier trained on 624 documents): see dev above.
    assert scores["dyads"]["f1"] >= 0.84


def test_heldout_set_floor() -> None:
    # Held-out items were labelled before the rules were written; measured level minus margin.
    scores = evaluate.evaluate(evaluate.SETS["heldout"])["ours"]
    assert scores["countries"]["f1"] >= 0.9
    assert scores["organizations"]["f1"] >= 0.85
    assert scores["topics"]["f1"] >= 0.8
    # Persons rose from 0.727 to 1.0 with the rules decided on its errors (dates of office,
    # headline person bound to the lede's role): no longer an honest measure for persons.
    assert scores["persons"]["f1"] >= 0.9


def test_test_set_floor() -> None:
    # 21 real articles found through search, labelled before the enricher ran on them and never
    # used for tuning. Measured: countries 0.961, persons 0.907, orgs 0.941, topics 0.81.
    scores = evaluate.evaluate(evaluate.SETS["test"])["ours"]
    assert scores["countries"]["f1"] >= 0.9
    assert scores["persons"]["f1"] >= 0.85
    assert scores["organizations"]["f1"] >= 0.88
    assert scores["topics"]["f1"] >= 0.75


def test_lenient_person_matching() -> None:
    assert evaluate.person_match("Coulter", "Sonata Coulter")
    assert evaluate.person_match("Macron", "Emmanuel Macron")
    assert not evaluate.person_match("Olaf Scholz", "Friedrich Merz")


def test_a_doc_without_the_kb_matcher_is_refused() -> None:
    pipeline = nlp.load("fr")
    assert pipeline is not None
    doc = pipeline.make_doc("Le ministre français des Affaires étrangères a reçu son homologue.")
    with pytest.raises(diplo.NotConfigured):
        diplo.analyze(doc, "fr")
    assert diplo.analyze(pipeline(doc.text), "fr").countries  # the same text, through the pipeline
