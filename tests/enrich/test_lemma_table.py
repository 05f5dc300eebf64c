"""``enrich.lemma_table``: query lemmas without loading spaCy, and how well they agree with the
lemmas the enricher indexes.

The agreement is measured on the bundled sample feeds (data/sample-feeds, fr and en): each word
the enricher keeps in an article's lemmas, lemmatised in its sentence, against the table's lemma
of the same word typed alone as a query, in the case it has in the text.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path

import feedparser
import pytest
import yaml

from diplowire.enrich import lemma_table, nlp
from diplowire.enrich.lemma_table import WORD, Miss, Table, lemmatize_by_table
from diplowire.enrich.lemmatize import (
    _SKIP_POS,
    lemmatize,
    lemmatize_with_models,
    table_entries,
)
from diplowire.ingest.normalize import html_to_text

FEEDS = Path(__file__).resolve().parents[2] / "data" / "sample-feeds"
# Measured on the sample feeds when the tables were built (see the agreement test's output):
# a word alone is tagged without its sentence, so a few get another part of speech and lemma.
MIN_AGREEMENT = {"fr": 0.90, "en": 0.90}
MIN_COVERAGE = 0.90


@cache
def sample_texts() -> dict[str, list[str]]:
    """Titles and summaries of the bundled sample feeds, per language of the feed."""
    feeds = yaml.safe_load((FEEDS / "feeds.yaml").read_text(encoding="utf-8"))["feeds"]
    out: dict[str, list[str]] = {}
    for feed in feeds:
        if feed["lang"] not in nlp.MODELS:
            continue
        parsed = feedparser.parse((FEEDS / feed["url"]).read_bytes())
        for e in parsed.entries:
            text = f"{e.get('title', '')}\n\n{html_to_text(e.get('summary', ''))}".strip()
            if text:
                out.setdefault(feed["lang"], []).append(text)
    return out


def _table(lang: str) -> Table:
    table = lemma_table.load(lang)
    assert isinstance(table, Table), f"{lang}: {table}"
    return table


def test_there_is_a_current_table_for_every_model() -> None:
    """Fails after a model or spaCy upgrade: rebuild with scripts/build_lemma_table.py."""
    assert lemma_table.default_models() == nlp.MODELS
    assert lemma_table.languages() == sorted(nlp.MODELS)
    for lang, model in nlp.MODELS.items():
        table = _table(lang)
        assert table.model == model
        assert table.get("a") is not None  # a table with words, not only a header


@pytest.mark.parametrize("lang", sorted(nlp.MODELS))
def test_a_table_holds_what_the_models_give_a_one_word_query(lang: str) -> None:
    words = sorted({w for t in sample_texts()[lang] for w in t.split() if WORD.match(w)})[::7]
    table = _table(lang)
    known = [w for w in words if table.lookup(w) is not None][:120]
    assert len(known) >= 60
    assert any(w != w.lower() for w in known)  # names and sentence starts, as typed
    # What the tables hold is what the query side's pipeline gives each word alone.
    assert dict(table_entries(lang, known)) == {w: table.lookup(w) for w in known}
    for w in known[:25]:
        lemmas = table.lookup(w)
        assert lemmatize_with_models(w, [lang]) == ([lemmas] if lemmas else [])


def test_agreement_with_the_lemmas_the_enricher_indexes(capsys: pytest.CaptureFixture[str]) -> None:
    report = {}
    for lang, texts in sorted(sample_texts().items()):
        pipeline = nlp.load(lang)  # the enricher's own pipeline
        assert pipeline is not None
        table = _table(lang)
        counts: Counter[str] = Counter()
        for doc in pipeline.pipe(texts):
            for tok in doc:
                if tok.pos_ in _SKIP_POS or tok.is_punct or tok.is_space:
                    continue  # not in the article's lemmas: nothing a query could match
                if not WORD.match(tok.text):
                    counts["not_a_word"] += 1  # such a query goes to the models
                    continue
                indexed = (tok.lemma_ or tok.text).lower()
                got = table.lookup(tok.text)
                if got is None:
                    counts["unknown"] += 1
                else:
                    counts["agree" if got == indexed else "differ"] += 1
        looked_up = counts["agree"] + counts["differ"]
        report[lang] = {
            **counts,
            "agreement": round(counts["agree"] / looked_up, 4),
            "coverage": round(looked_up / (looked_up + counts["unknown"]), 4),
        }
    with capsys.disabled():
        print(f"\nlemma table vs enricher on data/sample-feeds: {json.dumps(report)}")
    assert sorted(report) == ["en", "fr"]
    for lang, r in report.items():
        assert r["agree"] >= 500, lang  # a real sample, not a handful of words
        assert r["agreement"] >= MIN_AGREEMENT[lang], r
        assert r["coverage"] >= MIN_COVERAGE, r


def test_a_query_the_tables_cannot_answer_goes_to_the_models() -> None:
    assert lemmatize_by_table("l'ambassadeur", ["fr"]) is Miss.NOT_A_WORD
    assert lemmatize_by_table("ministres zzqxvw", ["fr"]) is Miss.UNKNOWN_WORD
    assert lemmatize_by_table("ministres", ["xx"]) is Miss.NO_TABLE
    # The models answer instead, with the lemmas they give the whole text.
    assert lemmatize("l'ambassadeur", ["fr"]) == lemmatize_with_models("l'ambassadeur", ["fr"])
    assert lemmatize("l'ambassadeur", ["fr"]) == ["ambassadeur"]


@pytest.mark.parametrize("field", ["model_version", "spacy_version", "model"])
def test_a_table_built_for_another_model_or_version_is_not_used(
    field: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = _table("fr")
    built = {"model": real.model, "model_version": real.model_version}
    built["spacy_version"] = real.spacy_version
    built[field] = "en_core_web_sm" if field == "model" else "0.0.1"
    head = lemma_table.header("fr", built["model"], built["model_version"], built["spacy_version"])
    (tmp_path / "lemmas-fr.tsv").write_text(f"{head}\nministres\tministre\n", encoding="utf-8")
    monkeypatch.setattr(lemma_table, "TABLE_DIR", tmp_path)
    lemma_table.load.cache_clear()
    try:
        assert lemma_table.load("fr") is Miss.STALE
        assert lemmatize_by_table("ministres", ["fr"]) is Miss.STALE
        # The same file with the installed versions is used: the check, not the file, refused.
        good = lemma_table.header("fr", real.model, real.model_version, real.spacy_version)
        (tmp_path / "lemmas-fr.tsv").write_text(f"{good}\nministres\tministre\n", "utf-8")
        lemma_table.load.cache_clear()
        assert lemmatize_by_table("ministres", ["fr"]) == ["ministre"]
    finally:
        lemma_table.load.cache_clear()


def test_a_query_the_tables_answer_loads_no_spacy() -> None:
    code = (
        "import json, sys\n"
        "from diplowire.index.query import lemmatize\n"
        "print(json.dumps([lemmatize('ministres des Affaires étrangères'), "
        "'spacy' in sys.modules, 'thinc' in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    variants, spacy_loaded, thinc_loaded = json.loads(out.stdout)
    assert (spacy_loaded, thinc_loaded) == (False, False)
    table_fr = _table("fr")
    fr = " ".join(
        x for w in ["ministres", "des", "Affaires", "étrangères"] if (x := table_fr.lookup(w))
    )
    assert fr in variants
    assert "ministre" in fr.split() and "des" not in fr.split()  # lemma; the article left out


def test_cased_forms_are_kept_only_where_their_lemmas_differ() -> None:
    entries = [("paris", "pari"), ("Paris", "paris"), ("talks", "talk"), ("Talks", "talk")]
    assert lemma_table.table_lines(entries) == ["Paris\tparis", "paris\tpari", "talks\ttalk"]
    assert lemma_table.forms_of("un") == ["un", "Un", "UN"]
    assert lemma_table.forms_of("ambassadeurs") == ["ambassadeurs", "Ambassadeurs"]
