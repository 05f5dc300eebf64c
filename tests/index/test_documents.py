"""Article -> document -> article, and the strict, versioned mapping on real Elasticsearch."""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import Elasticsearch

from diplowire.index.docs import from_document, to_document
from diplowire.index.layout import index_name, write_index
from diplowire.index.mapping import MAPPING_VERSION, field_types
from diplowire.index.migrate import ensure_index
from diplowire.wire.article import replace
from diplowire.wire.settings import ElasticsearchSettings
from tests.index.helpers import articles, index_directly

NOW = "2025-01-15T10:00:02.500Z"


def _paths(doc: dict[str, Any], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, value in doc.items():
        if key == "enrichment":  # stored, not indexed ("enabled": false)
            out.add(key)
        elif isinstance(value, dict):
            out |= _paths(value, f"{prefix}{key}.")
        else:
            out.add(prefix + key)
    return out


def test_every_document_field_is_mapped_and_round_trips() -> None:
    types = field_types()
    for art in articles():
        doc = to_document(art, NOW)
        assert _paths(doc) <= set(types), _paths(doc) - set(types)
        back, indexed = from_document(doc)
        assert indexed == NOW
        assert back == art


def test_stage_timestamps_and_freshness() -> None:
    art = articles()[0]
    stamps = replace(
        art.timestamps,
        fetched="2025-01-15T10:00:00.000Z",
        produced="2025-01-15T10:00:00.200Z",
        enriched="2025-01-15T10:00:01.000Z",
    )
    doc = to_document(replace(art, timestamps=stamps), NOW)
    assert doc["timestamps"]["indexed"] == NOW
    assert doc["freshness_ms"] == 2500
    assert doc["stage_ms"] == {"produce": 200, "enrich": 800, "index": 1500}


def test_facets_are_keywords_and_text_is_text() -> None:
    types = field_types()
    for name in (
        "countries",
        "country_actors",
        "dyads",
        "persons",
        "person_roles",
        "person_labels",
        "organizations",
        "organization_types",
        "organization_labels",
        "missions",
        "topics",
        "lang",
        "source.name",
        "source.feed_url",
        "fingerprint",
    ):
        assert types[name] == "keyword", name
    assert types["title"] == types["text"] == types["lemmas"] == "text"
    for name in ("published", *(f"timestamps.{s}" for s in ("fetched", "produced", "enriched"))):
        assert types[name] == "date"


def test_strict_mapping_refuses_a_stray_field(es_settings: ElasticsearchSettings) -> None:
    es = index_directly(es_settings, articles()[:3])
    alias = es_settings.index_prefix
    assert write_index(es, alias) == index_name(alias, MAPPING_VERSION)
    doc = {**to_document(articles()[3], NOW), "surprise": "a field nobody mapped"}
    resp = es.bulk(operations=[{"index": {"_index": alias, "_id": "x"}}, doc])
    err = resp["items"][0]["index"]["error"]
    assert err["type"] == "strict_dynamic_mapping_exception", err
    mapping = es.indices.get_mapping(index=alias)
    (props,) = (m["mappings"]["properties"] for m in mapping.values())
    assert "surprise" not in props
    # Idempotent: a second ensure does not create anything new.
    assert ensure_index(es, alias) == alias
    assert list(es.indices.get_alias(name=alias)) == [index_name(alias)]
    es.close()


@pytest.mark.parametrize("query", ["ambassadeur", "talk"])
def test_lemmas_field_finds_base_forms(es_settings: ElasticsearchSettings, query: str) -> None:
    es: Elasticsearch = index_directly(es_settings, articles())
    hits = es.search(index=es_settings.index_prefix, query={"match": {"lemmas": query}}, size=200)
    assert hits["hits"]["total"]["value"] > 0
    es.close()
