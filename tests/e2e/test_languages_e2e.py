"""A mixed feed list on the real stack: the bundled sample feeds (French, English, German tech)
plus real feeds in German (ORF), Portuguese (UOL), Russian (LIGA) and Chinese (QQ, GB2312)
-> poll -> Kafka -> enrich -> Kafka -> index, then facet queries across languages."""

from __future__ import annotations

import shutil
from pathlib import Path

import feedparser
import yaml
from elasticsearch import Elasticsearch

from diplowire.enrich import kbonly
from diplowire.enrich.pipeline import MODEL_COVERAGE
from diplowire.sampleserver import SAMPLE_DIR
from diplowire.wire.settings import (
    ElasticsearchSettings,
    KafkaSettings,
    LoopSettings,
)
from tests.support import es_count
from tests.support.pipeline import enrich_and_index, poll_folder

FIXTURES = Path(__file__).resolve().parents[1] / "ingest" / "fixtures"
# The real feeds in the new languages (provenance: tests/ingest/fixtures/SOURCES.md). ORF, LIGA
# and QQ declare their language in the feed; UOL's <language> is empty, so the list says it, as
# an operator would.
NEW_FEEDS: list[dict[str, str]] = [
    {"url": "orf-news-de.xml", "name": "news.ORF.at"},
    {"url": "uol-noticias-pt.xml", "name": "UOL Notícias", "lang": "pt"},
    {"url": "liga-novosti-ru.xml", "name": "ЛІГА.Новости"},
    {"url": "qq-news-zh.xml", "name": "腾讯新闻 新闻国内"},
]


# Feed file -> (source name, language of its articles).
SOURCE_LANG = {
    "franceinfo-monde.xml": ("Franceinfo - Monde", "fr"),
    "liberation-une.xml": ("Libération - À la une", "fr"),
    "reuters-worldnews-2017.xml": ("Reuters - World News", "en"),
    "un-news-europe.xml": ("UN News - Europe", "en"),
    "heise-developer-atom.xml": ("heise Developer", "de"),
    **{
        f["url"]: (f["name"], lang)
        for f, lang in zip(NEW_FEEDS, ("de", "pt", "ru", "zh"), strict=True)
    },
}


def _entries(path: Path) -> int:
    n = len(feedparser.parse(path).entries)
    assert n >= 10, path
    return n


def _feed_dir(tmp_path: Path) -> Path:
    feeds = tmp_path / "feeds"
    shutil.copytree(SAMPLE_DIR, feeds)
    for f in NEW_FEEDS:
        shutil.copy(FIXTURES / f["url"], feeds / f["url"])
    listing = yaml.safe_load((SAMPLE_DIR / "feeds.yaml").read_text(encoding="utf-8"))
    listing["feeds"] += NEW_FEEDS
    (feeds / "feeds.yaml").write_text(yaml.safe_dump(listing, allow_unicode=True), "utf-8")
    return feeds


def _buckets(
    es: Elasticsearch, index: str, field: str, size: int = 200
) -> dict[str, dict[str, int]]:
    """``field`` value -> {lang: article count}, from one terms aggregation nested in another."""
    res = es.search(
        index=index,
        size=0,
        aggs={
            "v": {
                "terms": {"field": field, "size": size},
                "aggs": {"l": {"terms": {"field": "lang", "size": 20}}},
            }
        },
    )
    return {
        b["key"]: {lb["key"]: lb["doc_count"] for lb in b["l"]["buckets"]}
        for b in res["aggregations"]["v"]["buckets"]
    }


def test_mixed_feed_list_indexes_every_language_under_shared_ids(
    kafka: KafkaSettings,
    es_settings: ElasticsearchSettings,
    fast_loop: LoopSettings,
    tmp_path: Path,
) -> None:
    feed_dir = _feed_dir(tmp_path)
    feeds, report = poll_folder(kafka, feed_dir, tmp_path / "state")
    assert report.feeds_failed == 0
    assert report.feeds_polled == len(feeds) == len(SOURCE_LANG) == 9
    published = report.published
    assert published == report.entries - report.duplicates - report.skipped_entries
    assert published == sum(_entries(feed_dir / f) for f in SOURCE_LANG)  # every item of all 9

    es, enriched, indexed = enrich_and_index(kafka, es_settings, fast_loop, published)
    alias = es_settings.index_prefix
    assert es_count(es, alias) == published
    assert enriched.dead_lettered == 0 and indexed.dead_lettered == 0

    # Every feed's articles carry its language, all of them (ORF's and part of UOL's are bare
    # headlines: the feed's hint decides those, see enrich/lang.py).
    expected = {name: {lang: _entries(feed_dir / f)} for f, (name, lang) in SOURCE_LANG.items()}
    assert _buckets(es, alias, "source.name") == expected
    hit = es.search(index=alias, query={"match_phrase": {"title": "Unsere Absicht"}})
    assert [h["_source"]["lang"] for h in hit["hits"]["hits"]] == ["de"]  # lingua alone: Dutch

    # The same country code holds articles of several languages, new and old alike.
    countries = _buckets(es, alias, "countries")
    assert {"fr", "en", "de", "pt", "ru", "zh"} <= set(countries["US"]), countries["US"]
    assert {"fr", "en", "pt", "zh"} <= set(countries["RU"]), countries["RU"]
    assert {"fr", "en", "ru"} <= set(countries["UA"]), countries["UA"]
    assert {"fr", "de", "zh"} <= set(countries["SE"]), countries["SE"]  # QQ: 瑞典, ORF: Schweden
    actors = _buckets(es, alias, "country_actors")
    assert {"fr", "de", "pt", "zh"} <= set(actors["US"]), actors["US"]

    # Known officials and organisations under one id whatever the language of the article:
    # Trump (ORF "Trump-Pastor", "Trump will NAFTA-Neuverhandlung"), Putin (UOL "Rival de Putin"),
    # Merkel (ORF; LIGA on her visit to Kyiv), the EU ("EU will gemeinsame Sozialstandards").
    persons = _buckets(es, alias, "person_ids")
    assert {"fr", "en", "de"} <= set(persons["donald-trump"]), persons["donald-trump"]
    assert {"fr", "pt"} <= set(persons["vladimir-putin"]), persons["vladimir-putin"]
    assert {"de", "ru"} <= set(persons["angela-merkel"]), persons["angela-merkel"]
    assert persons["xi-jinping"].get("zh", 0) >= 4  # the four QQ titles naming 习近平
    assert persons["jair-bolsonaro"].get("pt", 0) >= 4  # the four UOL titles naming Bolsonaro
    orgs = _buckets(es, alias, "organization_ids")
    assert {"de", "en"} <= set(orgs["EU"]), orgs["EU"]

    # What each pipeline filled, the same in every article of a language: the model path for
    # fr/en; for the others the KB-only path (lemmas too where a lookup table exists), which names
    # only KB persons and organisations: no "p:"/"o:" ids derived from names.
    docs = es.search(
        index=alias,
        size=published,
        source=["lang", "person_ids", "organization_ids", "enrichment.coverage"],
    )["hits"]["hits"]
    assert len(docs) == published
    coverage: dict[str, set[tuple[str, ...]]] = {}
    for doc in docs:
        src = doc["_source"]
        coverage.setdefault(src["lang"], set()).add(tuple(src["enrichment"]["coverage"]))
        if src["lang"] not in ("fr", "en"):
            assert not [i for i in src["person_ids"] if i.startswith("p:")], src
            assert not [i for i in src["organization_ids"] if i.startswith("o:")], src
    assert set(coverage) == {"fr", "en", "de", "pt", "ru", "zh"}
    for code, filled in coverage.items():
        assert len(filled) == 1, (code, filled)
        (fields,) = filled
        if code in ("fr", "en"):
            assert fields == MODEL_COVERAGE
        else:
            assert fields[: len(kbonly.COVERAGE)] == kbonly.COVERAGE, (code, fields)
            assert set(fields) - set(kbonly.COVERAGE) <= {"lemmas"}, (code, fields)
    es.close()
