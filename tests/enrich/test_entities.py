"""Canonical entities from the knowledge base: ids shared across languages, one label per id,
normalised keys for the rest (pure functions over the KB files; no spaCy)."""

from __future__ import annotations

import pytest

from diplowire.enrich import kb as kbmod
from diplowire.enrich.kb.entities import (
    fold,
    matches,
    org_id_label,
    org_identity,
    person_forms,
    person_id_label,
    person_identity,
    registry,
)
from diplowire.wire.article import Mention, Organization, Person

LANGS = kbmod.languages()


@pytest.mark.parametrize("lang", LANGS)
def test_every_kb_person_has_a_unique_id(lang: str) -> None:
    ids = [p.id for p in kbmod.load(lang).persons]
    assert all(ids), [p.canonical for p in kbmod.load(lang).persons if not p.id]
    assert len(set(ids)) == len(ids)


def test_the_same_official_has_one_id_in_every_language() -> None:
    by_lang = {lang: {p.id: p for p in kbmod.load(lang).persons} for lang in LANGS}
    shared = set(by_lang["fr"]) & set(by_lang["en"])
    # Rows of one person share an id: same country and the same terms of office.
    for pid in shared:
        fr, en = by_lang["fr"][pid], by_lang["en"][pid]
        assert (fr.country, fr.terms) == (en.country, en.terms), pid
    assert by_lang["fr"]["vladimir-putin"].canonical == "Vladimir Poutine"
    assert by_lang["en"]["vladimir-putin"].canonical == "Vladimir Putin"
    # A French row whose id no English row has is a person the English KB does not list.
    fr_names = {fold(p.canonical) for p in by_lang["fr"].values() if p.id not in shared}
    en_names = {fold(f) for p in by_lang["en"].values() for f in (p.canonical, *p.aliases)}
    assert not fr_names & en_names


@pytest.mark.parametrize(
    ("name", "lang", "expected"),
    [
        ("Vladimir Poutine", "fr", ("vladimir-putin", "Vladimir Putin")),
        ("Vladimir Putin", "en", ("vladimir-putin", "Vladimir Putin")),
        ("Sergueï Lavrov", "fr", ("sergey-lavrov", "Sergey Lavrov")),
        # Only in the French KB: its French name is the label.
        ("Élisabeth Borne", "fr", ("elisabeth-borne", "Élisabeth Borne")),
        # Not in the KB: a normalised key, the name as found.
        ("Sonata Coulter", "en", ("p:sonata coulter", "Sonata Coulter")),
        ("Zoé Lévêque", "fr", ("p:zoe leveque", "Zoé Lévêque")),
    ],
)
def test_person_identity(name: str, lang: str, expected: tuple[str, str]) -> None:
    kb = kbmod.load(lang)
    row = next((p for p in kb.persons if p.canonical == name), None)
    assert person_identity(name, row.id if row else None) == expected
    # A message from before ids existed gets the same identity from its name alone.
    assert person_id_label(Person(name=name)) == expected


def test_un_is_one_organisation_in_both_languages() -> None:
    ids = {
        org_identity(name=n, type="international_org")
        for n in ("ONU", "Nations unies", "UN", "United Nations")
    }
    assert ids == {("UN", "UN")}
    assert "nations unies" in registry().orgs["UN"].names


def test_a_foreign_ministry_has_one_id_however_it_is_named() -> None:
    # "the US foreign ministry" and "Département d'État" are one body, one facet bucket; a
    # ministry the KB does not list keeps its derived id.
    ids = {
        org_identity(name=n, type="foreign_ministry", country="US")
        for n in ("ministère américain des Affaires étrangères", "State Department", "US MFA")
    } | {org_identity(name="Département d'État", type="foreign_ministry")}
    assert ids == {("US_DOS", "US Department of State")}
    assert (
        org_identity(
            name="ministère indien des Affaires étrangères", type="foreign_ministry", country="IN"
        )[0]
        == "IN_MEA"
    )
    assert (
        org_identity(name="Russian foreign ministry", type="foreign_ministry", country="RU")[0]
        == "mfa:RU"
    )


@pytest.mark.parametrize(
    ("org", "expected"),
    [
        (
            Organization(
                name="ambassade de France à Kinshasa",
                type="diplomatic_mission",
                country="FR",
                city="Kinshasa",
            ),
            ("mission:FR:embassy:CD", "Embassy of France in Kinshasa"),
        ),
        (
            Organization(
                name="U.S. Embassy in Moscow",
                type="diplomatic_mission",
                country="US",
                city="Moscow",
            ),
            ("mission:US:embassy:RU", "Embassy of the United States in Moscow"),
        ),
        (
            Organization(
                name="consulat russe à Istanbul",
                type="diplomatic_mission",
                country="RU",
                city="Istanbul",
            ),
            ("mission:RU:consulate:istanbul", "Consulate of Russia in Istanbul"),
        ),
        (
            Organization(name="ambassade de Russie", type="diplomatic_mission", country="RU"),
            ("mission:RU:embassy", "Embassy of Russia"),
        ),
        (
            Organization(
                name="ministère russe des Affaires étrangères",
                type="foreign_ministry",
                country="RU",
            ),
            ("mfa:RU", "Ministry of Foreign Affairs of Russia"),
        ),
        (
            Organization(name="Agence nationale du Trésor", type="other", country="CD"),
            ("o:CD:agence nationale du tresor", "Agence nationale du Trésor"),
        ),
    ],
)
def test_organisation_identity_from_a_message_without_ids(
    org: Organization, expected: tuple[str, str]
) -> None:
    assert org_id_label(org) == expected


def test_filters_match_ids_and_any_name_form_whatever_the_case_and_accents() -> None:
    p = Person(name="Vladimir Poutine", mentions=(Mention(start=0, end=7, text="Poutine"),))
    pid, _ = person_id_label(p)
    forms = person_forms(p)
    for wanted in ("putin", "POUTINE", "vladimir putin", "Vladimir-Putin", " poutine ", "vlad"):
        assert matches(wanted, pid, forms), wanted
    # From the start of a word only: "tin" is inside "putin", not a word of it.
    for wanted in ("", "medvedev", "vladimir-putin-2", "tin", "outine"):
        assert not matches(wanted, pid, forms), wanted
    assert fold("Sergueï  LAVROV’s") == "serguei lavrov's"


def test_diplomatic_formats_are_one_organisation_in_both_languages() -> None:
    # Formats the KB lists like the Quad and the Visegrad Group (session 12, from wave11-dev).
    pairs = {
        "WEIMAR": ("Weimar Triangle", "Triangle de Weimar"),
        "NORMANDY": ("Normandy format", "format Normandie"),
        "TCG_UA": ("Trilateral Contact Group", "Groupe de contact trilatéral"),
        "C5_1": ("C5+1", "format C5+1"),
    }
    for oid, names in pairs.items():
        assert {org_identity(name=n, type="international_org")[0] for n in names} == {oid}
