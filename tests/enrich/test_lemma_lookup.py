"""The lookup lemmas of de es it pt ru (``enrich/kblemmas.py``): the tables as built, the enricher
filling ``lemmas`` with them on real news excerpts, and a query lemmatised by the same rule
without spaCy."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from diplowire.enrich import kblemmas
from diplowire.enrich.kbonly import COVERAGE
from diplowire.enrich.lemmatize import lemmatize
from diplowire.enrich.textnorm import match_form
from tests.support.languages import enriched, language_articles

ROOT = Path(__file__).parents[2]
BUILD = ROOT / "scripts" / "build_kb_lemmas.py"
MAX_TOTAL_BYTES = 8_000_000


def test_five_tables_with_their_provenance_and_small() -> None:
    assert kblemmas.languages() == ("de", "es", "it", "pt", "ru")
    script = BUILD.read_text("utf-8")
    version = re.search(r'^VERSION = "(.+)"$', script, re.M)
    digest = re.search(r'^SHA256 = "([0-9a-f]{64})"$', script, re.M)
    assert version and digest
    total = 0
    for lang in kblemmas.languages():
        path = kblemmas.table_path(lang)
        total += path.stat().st_size
        with zipfile.ZipFile(path) as z:
            assert z.comment.decode() == (
                f"spacy-lookups-data {version[1]} {lang}_lemma_lookup sha256:{digest[1]}"
            )
            names = z.namelist()
            assert names == sorted(names) and len(names) > 10
    assert total < MAX_TOTAL_BYTES


@pytest.mark.parametrize("lang", ["de", "es", "it", "pt", "ru"])
def test_tables_are_in_the_matching_form(lang: str) -> None:
    """Built through ``textnorm.match_form``: a change to it that moves Latin or Cyrillic words
    would leave the tables' forms unreachable (rebuild with scripts/build_kb_lemmas.py)."""
    with zipfile.ZipFile(kblemmas.table_path(lang)) as z:
        names = z.namelist()
        # Every 7th member, every 13th line: ~5,000 lines a language.
        lines = [
            line for name in names[::7] for line in z.read(name).decode("utf-8").splitlines()[::13]
        ]
    assert len(lines) > 2000
    for line in lines:
        form, _, lemma = line.partition("\t")
        assert match_form(form) == form and kblemmas.words(form) == [form], line
        assert match_form(lemma) == lemma and (lemma or form).strip() == (lemma or form), line


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("de", "Botschaftern", "botschafter"),
        ("de", "Außenministers Gesprächen", "aussenminister gesprach"),
        ("es", "Moscú sanciones", "moscu sancionar"),
        ("it", "dell'ambasciata", "dell ambasciata"),
        ("pt", "negociações", "negociacao"),
        ("ru", "министра России", "министр россия"),
        ("ru", "Всё", "весь"),
        # A name's base form is the name (scripts/build_kb_lemmas.py), not путина, a fishing season.
        ("ru", "Путин Путина", "путин путин"),
    ],
)
def test_lookup_rule(lang: str, text: str, expected: str) -> None:
    assert kblemmas.lemmas(lang, text) == expected
    assert kblemmas.lemmas(lang, text.lower()) == expected  # case and accents do not matter


def test_the_enricher_fills_lemmas_that_every_word_of_the_text_finds() -> None:
    seen = set()
    for art in enriched(language_articles()):
        enr = art.enrichment
        assert enr is not None
        seen.add(enr.lang)
        if enr.lang not in kblemmas.languages():
            assert enr.lang in ("ar", "zh")
            assert (enr.lemmas, enr.coverage) == ("", COVERAGE)
            continue
        assert enr.coverage == (*COVERAGE, "lemmas")
        indexed = set(enr.lemmas.split())
        words = kblemmas.LETTERS.findall(art.body())
        assert len(enr.lemmas.split()) == len(words)
        for word in words:
            # A query of one word of the article, in its language, lemmatised as search does.
            (variant,) = lemmatize(word, [enr.lang])
            assert set(variant.split()) <= indexed, (art.id, word, variant)
    assert seen == {"de", "es", "it", "pt", "ru", "ar", "zh"}


def test_a_query_is_lemmatised_without_spacy_or_a_whole_table() -> None:
    code = (
        "import sys, json\n"
        "from diplowire.enrich import kblemmas\n"
        "from diplowire.enrich.lemmatize import lemmatize\n"
        "out = [lemmatize(q) for q in ('Botschaftern', 'Лаврова', '俄罗斯', 'ministres')]\n"
        "print(json.dumps({'out': out, 'spacy': 'spacy' in sys.modules,\n"
        "    'members': kblemmas._member.cache_info().currsize}))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    got = json.loads(run.stdout)
    assert got["spacy"] is False
    assert "botschafter" in got["out"][0] and "ministre" in got["out"][3]
    assert got["out"][2] == ["俄罗斯"]
    # Each word reads one member per language at most: 4 words x 5 tables, plus knows().
    assert got["members"] <= 40
