"""Every state with a capital in the KB has a nationality word (enrich/kb/{en,fr}/demonyms.tsv),
except where the word is shared and would name the wrong state: a missing demonym made
"son homologue équato-guinéen" Guinea's (w11-af-me-fr-24, session 13), through "guinéen"."""

from __future__ import annotations

from pathlib import Path

import pytest

from diplowire.enrich import diplo, nlp
from diplowire.enrich import kb as kbmod

# Shared words left out on purpose: "congolais", "Congolese" (CD or CG), "Dominican" (DO or DM),
# "Central African" (a region in English), and states whose adjective the press does not use.
NO_DEMONYM = {
    "fr": {"CG", "DO", "KN", "VA", "VC"},
    "en": {"CF", "CG", "DO", "KI"},
}


def _codes(path: Path) -> set[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {x.split("\t")[0] for x in lines if x.strip() and not x.startswith("#")}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_state_with_a_capital_has_a_demonym(lang: str) -> None:
    folder = kbmod.KB_DIR / lang
    missing = _codes(folder / "capitals.tsv") - _codes(folder / "demonyms.tsv")
    assert missing == NO_DEMONYM[lang]


def test_a_compound_demonym_names_its_own_state() -> None:
    pipeline = nlp.load("fr")
    assert pipeline is not None
    text = (
        "Le président gabonais a été reçu à Malabo par son homologue équato-guinéen, puis par "
        "le ministre centrafricain."
    )
    facts = diplo.analyze(pipeline(text), "fr", learned_actors=False)
    codes = {c.code for c in facts.countries}
    assert {"GA", "GQ", "CF"} <= codes
    assert "GN" not in codes
