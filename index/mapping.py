"""The Elasticsearch index template: versioned, strict, made for Kibana facets.

Language analyzers are not used on purpose: they live in the analysis-common module, which some
clusters (the integration-test distribution among them) lack. Language-aware search runs on the
``lemmas`` field that the enricher fills with spaCy lemmas, analysed by the built-in ``standard``
analyzer.
"""

from __future__ import annotations

from typing import Any

MAPPING_VERSION = 4
"""Bumped on any mapping change: a new index ``{prefix}-v{N}`` and ``diplowire index migrate``.

v2: ``organization_labels`` and the per-stage latencies in ``stage_ms``.
v3: canonical entities: ``persons``, ``organizations`` and ``missions`` hold one display label
per language-neutral id (with a lower-cased ``.lc`` subfield), beside ``person_ids``,
``organization_ids``, ``mission_ids`` and the folded name forms ``person_names`` and
``organization_names`` that ``--person``/``--org`` filter on (index/entity_fields.py).
v4: ``text_folded``: title and text of Arabic and Chinese articles in the matching form of
``enrich/textnorm.py`` (Arabic harakat, tatweel and alef forms; see index/textquery.py).
"""

KW = {"type": "keyword", "ignore_above": 512}
# A display facet and, beside it, the same values lower-cased so that KQL ``persons.lc : "vladimir
# putin"`` finds them. ``lowercase`` is a built-in normalizer of the server itself: it works
# without the analysis-common module (checked on the integration-test distribution).
LABEL_KW = {
    "type": "keyword",
    "ignore_above": 512,
    "fields": {"lc": {"type": "keyword", "normalizer": "lowercase", "ignore_above": 512}},
}
DATE = {"type": "date"}

PROPERTIES: dict[str, Any] = {
    "id": {"type": "keyword"},
    "version": {"type": "long"},
    "schema_version": {"type": "integer"},
    "url": {"type": "keyword", "index": False},
    "canonical_url": {"type": "keyword"},
    "guid": KW,
    "title": {"type": "text", "fields": {"raw": KW}},
    "text": {"type": "text"},
    "lemmas": {"type": "text"},
    # Arabic and Chinese only (index/textquery.py): no lemmas, a script the analyzer does not
    # normalise; the others' lemmas are folded already.
    "text_folded": {"type": "text"},
    "published": DATE,
    "published_from": {"type": "keyword"},
    "updated": DATE,
    "authors": KW,
    "fingerprint": {"type": "keyword"},
    "source": {"properties": {"name": KW, "feed_url": KW, "lang_hint": {"type": "keyword"}}},
    "timestamps": {
        "properties": {"fetched": DATE, "produced": DATE, "enriched": DATE, "indexed": DATE}
    },
    "freshness_ms": {"type": "long"},
    # Where the freshness goes: fetched->produced, produced->enriched, enriched->indexed.
    "stage_ms": {
        "properties": {
            "produce": {"type": "long"},
            "enrich": {"type": "long"},
            "index": {"type": "long"},
        }
    },
    "lang": {"type": "keyword"},
    "lang_confidence": {"type": "float"},
    "pipeline_version": {"type": "keyword"},
    "countries": {"type": "keyword"},
    "country_actors": {"type": "keyword"},
    "dyads": {"type": "keyword"},
    "persons": LABEL_KW,
    "person_ids": KW,
    "person_names": KW,
    "person_roles": {"type": "keyword"},
    "person_labels": KW,
    "organizations": LABEL_KW,
    "organization_ids": KW,
    "organization_names": KW,
    "organization_types": {"type": "keyword"},
    "organization_labels": KW,
    "missions": LABEL_KW,
    "mission_ids": KW,
    "topics": {"type": "keyword"},
    "entity_labels": {"type": "keyword"},
    # Full detail (mentions, offsets, scores, evidence) travels with the document unindexed.
    "enrichment": {"type": "object", "enabled": False},
}


def template_body(prefix: str, *, shards: int = 1, replicas: int = 0) -> dict[str, Any]:
    return {
        "index_patterns": [f"{prefix}-v*"],
        "priority": 200,
        "version": MAPPING_VERSION,
        "_meta": {"description": "diplowire articles", "mapping_version": MAPPING_VERSION},
        "template": {
            "settings": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                "refresh_interval": "1s",
            },
            "mappings": {"dynamic": "strict", "properties": PROPERTIES},
        },
    }


def field_types(props: dict[str, Any] | None = None, prefix: str = "") -> dict[str, str]:
    """Flattened ``path -> type`` of the mapping, for checks of the Kibana assets."""
    out: dict[str, str] = {}
    for name, spec in (props or PROPERTIES).items():
        path = prefix + name
        if "properties" in spec:
            out.update(field_types(spec["properties"], path + "."))
        else:
            out[path] = spec.get("type", "object")
        for sub, subspec in spec.get("fields", {}).items():
            out[f"{path}.{sub}"] = subspec["type"]
    return out
