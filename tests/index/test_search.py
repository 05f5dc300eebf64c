"""``diplowire search`` on real Elasticsearch: lemma-aware text, every filter, both outputs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from diplowire.cli import main
from diplowire.enrich import kb as kbmod
from diplowire.enrich.kb import norm
from diplowire.index.query import FilterError, Filters, normalize_dyad
from diplowire.wire.article import Article
from diplowire.wire.settings import ElasticsearchSettings
from tests.index.helpers import articles, index_directly

Search = Callable[..., dict[str, Any]]
FR_KB = kbmod.load("fr")


@pytest.fixture
def search(
    es_settings: ElasticsearchSettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Search]:
    index_directly(es_settings, articles()).close()
    monkeypatch.setenv("DIPLOWIRE_ELASTICSEARCH_URL", es_settings.url)
    monkeypatch.setenv("DIPLOWIRE_ELASTICSEARCH_INDEX_PREFIX", es_settings.index_prefix)

    def run(*argv: str) -> dict[str, Any]:
        capsys.readouterr()
        assert main(["search", "--json", "--limit", "500", *argv]) == 0
        return dict(json.loads(capsys.readouterr().out))

    yield run


def _ids(result: dict[str, Any]) -> set[str]:
    return {h["id"] for h in result["hits"]}


def _expected(pred: Callable[[Article], bool]) -> set[str]:
    return {a.id for a in articles() if pred(a)}


def _words(a: Article) -> list[str]:
    return re.findall(r"\w+", a.body().lower())


@pytest.mark.parametrize(("query", "lemma"), [("ambassadeurs", "ambassadeur"), ("talks", "talk")])
def test_free_text_finds_other_forms_of_the_word(search: Search, query: str, lemma: str) -> None:
    only_other_forms = _expected(
        lambda a: lemma in a.enrichment.lemmas.split() and query not in _words(a)  # type: ignore[union-attr]
    )
    assert only_other_forms, "the fixture must hold a story without the query's exact form"
    with_form = _expected(lambda a: query in _words(a))
    found = _ids(search(query))
    assert only_other_forms <= found
    assert with_form <= found
    # Without lemmas only the exact forms match: the lemma field is what finds the others.
    assert not only_other_forms & _ids(search(query, "--no-lemmas"))


def test_filters_select_exactly_the_matching_articles(search: Search) -> None:
    def has(a: Article, attr: str, value: str) -> bool:
        enr = a.enrichment
        assert enr is not None
        return value in {getattr(x, "code", getattr(x, "name", x)) for x in getattr(enr, attr)}

    def names(a: Article, attr: str) -> list[str]:
        assert a.enrichment is not None
        return [x.name for x in getattr(a.enrichment, attr)]

    cases: list[tuple[list[str], Callable[[Article], bool]]] = [
        (["--country", "ru"], lambda a: has(a, "countries", "RU")),
        (
            ["--country", "RU", "--country", "FR"],
            lambda a: has(a, "countries", "RU") or has(a, "countries", "FR"),
        ),
        (["--dyad", "us-ru"], lambda a: has(a, "dyads", "RU-US")),
        (["--topic", "visas_travel"], lambda a: has(a, "topics", "visas_travel")),
        (["--lang", "de"], lambda a: a.enrichment is not None and a.enrichment.lang == "de"),
        (
            ["--person", "guterres"],
            lambda a: any("Guterres" in n for n in names(a, "persons")),
        ),
        (
            # Also the French "Conseil de sécurité": one KB entity (UNSC) in every language.
            ["--org", "security council"],
            lambda a: any(
                "security council" in n.lower() or FR_KB.org_alias_index.get(norm(n)) == "UNSC"
                for n in names(a, "organizations")
            ),
        ),
        (["--source", "reuters"], lambda a: "Reuters" in a.source.name),
        (
            ["--country", "RU", "--topic", "conflict_ceasefire"],
            lambda a: has(a, "countries", "RU") and has(a, "topics", "conflict_ceasefire"),
        ),
        (
            ["--since", "2025-01-01", "--until", "2025-12-31T23:59:59Z"],
            lambda a: "2025-01-01" <= a.published < "2025-12-31T23:59:59Z",
        ),
    ]
    for argv, pred in cases:
        expected = _expected(pred)
        assert expected, f"fixture has nothing for {argv}"
        result = search(*argv)
        assert _ids(result) == expected, argv
        assert result["total"] == len(expected)


def test_filters_combine_with_text_and_hits_are_light_by_default(search: Search) -> None:
    result = search("visas", "--country", "FR")
    assert result["hits"], result
    for hit in result["hits"]:
        assert "FR" in hit["countries"]
        assert "text" not in hit and "enrichment" not in hit and "lemmas" not in hit
    full = search("visas", "--country", "FR", "--full")
    assert all("enrichment" in h for h in full["hits"])


def test_table_output_is_readable(
    search: Search, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    titles = [h["title"] for h in search("--country", "RU", "--limit", "5", "--no-lemmas")["hits"]]
    monkeypatch.setenv("COLUMNS", "140")
    assert main(["search", "--country", "RU", "--limit", "5", "--no-lemmas"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:5] == ["published", "lang", "source", "countries", "topics"]
    assert len(lines) == 2 + 5 + 1
    # Same articles, same order as the JSON output, newest first.
    for line, title in zip(lines[2:7], titles, strict=True):
        assert title[:20] in line
    assert re.fullmatch(r"5 of \d+ matching articles", lines[-1])
    assert all(len(line) <= 140 for line in lines)


def test_bad_filters_are_refused_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "--dyad", "RUS-USA"]) == 2
    assert "two country codes" in capsys.readouterr().err
    assert main(["search", "--since", "last tuesday"]) == 2
    assert "ISO 8601" in capsys.readouterr().err
    assert normalize_dyad("US/ru") == "RU-US"
    with pytest.raises(FilterError):
        Filters.build(since="soon")
