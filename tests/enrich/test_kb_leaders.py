"""Heads of state and government of every UN member state (plus XK, PS, TW, VA) in office at any
time 2015-2025, listed in enrich/kb/{en,fr}/persons.tsv in issue 12: both files stay one list
(same ids, roles, countries and terms), and leaders named with no title anywhere in the story,
whom the role words could not find, are persons. Sentences adapted from the DEV sets (wave 3, 9)."""

from __future__ import annotations

import itertools
import re
import unicodedata

import pytest

from diplowire.enrich import diplo, kb, nlp

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
# Letters NFKD does not decompose: "Szydło", "Støre", "Yıldırım", "Đukanović".
_FOLD = str.maketrans("łŁøØıđĐ", "lLoOidD")
# Leaders always have a state; only the UN, NATO and EU officials may have none.
_LEADER_ROLES = {"head_of_state", "head_of_government"}


def _id_of(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.translate(_FOLD))
    ascii_name = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")


def test_english_and_french_persons_are_one_list() -> None:
    en, fr = kb.load("en"), kb.load("fr")
    en_by_id = {p.id: p for p in en.persons}
    fr_by_id = {p.id: p for p in fr.persons}
    assert len(en_by_id) == len(en.persons) and len(fr_by_id) == len(fr.persons)
    assert set(en_by_id) == set(fr_by_id)
    states = set(en.country_names)
    for pid, p in en_by_id.items():
        f = fr_by_id[pid]
        assert (p.role, p.country, p.terms) == (f.role, f.country, f.terms), pid
        assert pid == _id_of(p.canonical), pid
        assert p.role, pid
        if p.country or p.role in _LEADER_ROLES:
            assert p.country in states, pid
        assert p.terms, pid
        for start, end, _ in p.terms:
            assert _ISO.fullmatch(start), pid
            assert not end or (_ISO.fullmatch(end) and start < end), pid
        # Terms in order and not overlapping: one office on any day.
        bounds = [(s, e or "9999") for s, e, _ in p.terms]
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(bounds)), pid


def _persons(text: str, lang: str, day: str | None = None) -> dict[str, tuple[str | None, ...]]:
    pipeline = nlp.load(lang)
    assert pipeline is not None
    facts = diplo.analyze(pipeline(text), lang, day, learned_actors=False)
    return {p.name: (p.role, p.country) for p in facts.persons}


@pytest.mark.parametrize(
    ("text", "lang", "name", "country"),
    [
        # w9-af-me-fr-04: no title anywhere in the story.
        (
            "Le processus de paix entamé par Félix Tshisekedi semble se dessiner, deux jours "
            "après l'accord entre le Rwanda et la RDC signé à Washington.",
            "fr",
            "Félix Tshisekedi",
            "CD",
        ),
        # w3-af-me-en-35: the surname alone.
        (
            "Kenyatta is expected to formally receive Prime Minister Abiy on Monday morning, "
            "where bilateral and regional issues will dominate the talks.",
            "en",
            "Uhuru Kenyatta",
            "KE",
        ),
    ],
)
def test_leader_named_with_no_title_is_a_person(
    text: str, lang: str, name: str, country: str
) -> None:
    assert _persons(text, lang, "2018-06-03" if country == "KE" else "2025-06-29")[name] == (
        "head_of_state",
        country,
    )


def test_leader_out_of_office_on_the_article_date_is_no_official() -> None:
    # Kenyatta left office in 2022: a 2025 story naming him bare gives no Kenyan president.
    found = _persons(
        "Kenyatta and Museveni met in Kampala on Monday to discuss trade.", "en", "2025-03-01"
    )
    assert "Uhuru Kenyatta" not in found
    assert found["Yoweri Museveni"] == ("head_of_state", "UG")
