"""``diplowire search`` in the seven languages without NER, on real Elasticsearch: lemmas from the
lookup tables (de es it pt ru), Arabic found whatever its harakat and alef forms, Han runs as
phrases. The articles are the real news excerpts of ``tests/enrich/fixtures/languages`` through
the enricher, and one Chinese sentence written here with 俄, 罗 and 斯 apart; ``subscribe``'s
predicate (``index.query.matches``) must select the same articles as Elasticsearch."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from diplowire.cli import main
from diplowire.index.query import Filters, lemmatize, matches
from diplowire.index.textquery import FOLDED_FIELD
from diplowire.wire.article import Article, Source
from diplowire.wire.settings import ElasticsearchSettings
from tests.index.helpers import index_directly
from tests.support.languages import enriched, language_articles
from tests.support.messages import make_article

SCATTERED = "scattered-han"
Search = Callable[..., set[str]]


def _articles() -> list[Article]:
    arts = language_articles()
    # 俄, 罗 and 斯 each in another word (俄乌, 罗马, 莫斯科): not the phrase 俄罗斯.
    arts.append(
        make_article(
            id=SCATTERED,
            title="",
            text="俄乌双方代表在罗马会谈，随后前往莫斯科。",
            source=Source(name=SCATTERED, feed_url="https://x.test/feed", lang_hint="zh"),
        )
    )
    return enriched(arts)


@pytest.fixture(scope="module")
def indexed(stack: Any) -> Iterator[tuple[ElasticsearchSettings, list[Article]]]:
    settings = ElasticsearchSettings(
        url=stack.es_url, index_prefix=f"t{uuid.uuid4().hex[:10]}-articles"
    )
    arts = _articles()
    es = index_directly(settings, arts)
    try:
        yield settings, arts
    finally:
        es.indices.delete(index=f"{settings.index_prefix}*", ignore_unavailable=True)
        es.options(ignore_status=404).indices.delete_index_template(
            name=f"{settings.index_prefix}-template"
        )
        es.close()


@pytest.fixture
def search(
    indexed: tuple[ElasticsearchSettings, list[Article]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Search:
    settings, arts = indexed
    monkeypatch.setenv("DIPLOWIRE_ELASTICSEARCH_URL", settings.url)
    monkeypatch.setenv("DIPLOWIRE_ELASTICSEARCH_INDEX_PREFIX", settings.index_prefix)

    def run(text: str, *, lang: str | None = None, lemmas: bool = True) -> set[str]:
        flags = (["--lang", lang] if lang else []) + ([] if lemmas else ["--no-lemmas"])
        capsys.readouterr()
        assert main(["search", "--json", "--limit", "100", *flags, text]) == 0
        found = {h["id"] for h in json.loads(capsys.readouterr().out)["hits"]}
        # subscribe's predicate selects the same articles (index/query.py: one filter language).
        f = Filters.build(text=text, langs=[lang] if lang else [])
        if lemmas:
            f = f.with_lemmas(lemmatize(f.text, f.langs))
        assert {a.id for a in arts if matches(f, a)} == found, (text, lang, found)
        return found

    return run


def _text(arts: list[Article], id_: str) -> str:
    return next(a.body() for a in arts if a.id == id_)


@pytest.mark.parametrize(
    ("lang", "query", "surface", "article"),
    [
        ("de", "Sanktion", "Sanktionen", "de-welt-2022-02-baerbock"),
        ("de", "Diplomat", "Diplomaten", "de-suedtirolnews-baerbock-kiew"),
        ("es", "declaración", "declaraciones", "es-swissinfo-efe-2026-02-05"),
        ("it", "sanzione", "sanzioni", "it-italpress-2026-02-05"),
        ("pt", "negociação", "negociações", "pt-opovo-2025-04-27"),
        ("ru", "Россия", "России", "ru-tatar-inform-xi-kremlin"),
        ("ru", "Путин", "Путина", "ru-tatar-inform-xi-kremlin"),
    ],
)
def test_a_word_finds_its_other_forms_through_the_lookup_lemmas(
    search: Search,
    indexed: tuple[ElasticsearchSettings, list[Article]],
    lang: str,
    query: str,
    surface: str,
    article: str,
) -> None:
    text = _text(indexed[1], article)
    words = set(re.findall(r"\w+", text.lower()))
    assert surface.lower() in words and query.lower() not in words  # only another form is there
    enr = next(a.enrichment for a in indexed[1] if a.id == article)
    assert enr is not None and "lemmas" in enr.coverage and enr.lemmas
    assert article not in search(query, lemmas=False)
    assert article in search(query, lang=lang)
    assert article in search(query)  # the language need not be given


def test_lang_filter_keeps_other_languages_out(search: Search) -> None:
    both = search("Lavrov")
    assert {"pt-opovo-2025-04-27", "it-italpress-2026-02-05"} <= both
    assert search("Lavrov", lang="pt") == {"pt-opovo-2025-04-27"}


def test_arabic_matches_whatever_its_harakat_and_alef_forms(
    search: Search, indexed: tuple[ElasticsearchSettings, list[Article]]
) -> None:
    arts = indexed[1]
    # روسيا written with harakat, and الأمريكية with a bare alef: neither is in the texts as typed.
    for query, article in (
        ("رُوسْيَا", "ar-alwakeel-2026-02-19"),
        ("العقوبات الامريكية", "ar-thawra-lavrov"),
    ):
        assert query not in _text(arts, article)
        assert article in search(query, lang="ar")
    enr = next(a.enrichment for a in arts if a.id == "ar-thawra-lavrov")
    assert enr is not None and not enr.lemmas and "lemmas" not in enr.coverage


def test_a_han_run_is_a_phrase(
    search: Search, indexed: tuple[ElasticsearchSettings, list[Article]]
) -> None:
    settings, arts = indexed
    with_it = {a.id for a in arts if "俄罗斯" in a.body()}
    assert with_it == {"zh-orientaldaily-2025-10-23", "zh-maidong100-wang-wenbin"}
    assert search("俄罗斯") == with_it
    assert search("俄罗斯 制裁", lang="zh") == with_it
    # The characters one by one, as the standard analyzer indexes them, are all in the
    # scattered sentence: a plain match would find it.
    es = Elasticsearch(settings.url)
    try:
        plain = es.search(
            index=settings.index_prefix,
            query={"match": {"text": {"query": "俄罗斯", "operator": "and"}}},
            size=50,
        )
        assert SCATTERED in {h["_id"] for h in plain["hits"]["hits"]}
        folded = es.get(index=settings.index_prefix, id="ar-alwakeel-2026-02-19")["_source"]
        assert folded[FOLDED_FIELD] and "أ" not in folded[FOLDED_FIELD]
        assert (
            es.get(index=settings.index_prefix, id="de-welt-2022-02-baerbock")["_source"][
                FOLDED_FIELD
            ]
            is None
        )
    finally:
        es.close()
    assert search("莫斯科") == {SCATTERED}
