"""Pure mapping from an enriched article to its Elasticsearch document."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from diplowire.index.entity_fields import entity_fields
from diplowire.index.textquery import FOLDED_LANGS, fold
from diplowire.wire.article import Article, Enrichment, Source, Timestamps


class NotIndexable(ValueError):
    pass


def epoch_ms(iso: str | None) -> int | None:
    """Epoch milliseconds of an ISO 8601 timestamp; None if absent or unreadable."""
    if not iso:
        return None
    try:
        # Python 3.11 reads the trailing "Z" itself.
        return int(datetime.fromisoformat(iso).timestamp() * 1000)
    except ValueError:
        return None


_ms = epoch_ms


_ENRICHMENT_FIELDS = tuple(f for f in Enrichment.__struct_fields__ if f != "lemmas")
_TIMESTAMP_FIELDS = Timestamps.__struct_fields__


def to_document(article: Article, indexed_at: str) -> dict[str, Any]:
    """The Elasticsearch document of ``article``, as plain JSON types (dicts, lists, scalars)."""
    return msgspec.to_builtins(document(article, indexed_at))


def document(article: Article, indexed_at: str, indexed_ms: int | None = None) -> dict[str, Any]:
    """:func:`to_document` for a msgspec encoder: nested structs and tuples are left as they are.

    ``msgspec.json.encode(document(a, t)) == msgspec.json.encode(to_document(a, t))``; the
    indexer uses this form because copying each article's enrichment into fresh dicts and lists
    (``to_builtins``) cost more than encoding it. ``indexed_ms`` is ``indexed_at`` in epoch
    milliseconds when the caller already has it (one clock reading per bulk batch).
    """
    enr = article.enrichment
    if enr is None:
        raise NotIndexable("article has no enrichment block (was it read from the raw topic?)")
    ts = article.timestamps
    fetched = _ms(ts.fetched)
    produced = _ms(ts.produced)
    enriched = _ms(ts.enriched)
    indexed = _ms(indexed_at) if indexed_ms is None else indexed_ms
    persons = enr.persons
    orgs = enr.organizations
    countries = enr.countries
    timestamps = {f: getattr(ts, f) for f in _TIMESTAMP_FIELDS}
    timestamps["indexed"] = indexed_at
    return {
        "id": article.id,
        "version": article.version,
        "schema_version": article.schema_version,
        "url": article.url,
        "canonical_url": article.canonical_url,
        "guid": article.guid,
        "title": article.title,
        "text": article.text,
        "lemmas": enr.lemmas,
        "text_folded": fold(article.body()) if enr.lang in FOLDED_LANGS else None,
        "published": article.published,
        "published_from": article.published_from,
        "updated": article.updated,
        "authors": list(article.authors),
        "fingerprint": article.fingerprint,
        "source": article.source,
        "timestamps": timestamps,
        "freshness_ms": (indexed - fetched) if fetched is not None and indexed else None,
        "stage_ms": {
            "produce": _delta(fetched, produced),
            "enrich": _delta(produced, enriched),
            "index": _delta(enriched, indexed),
        },
        "lang": enr.lang,
        "lang_confidence": enr.lang_confidence,
        "pipeline_version": enr.pipeline_version,
        "countries": sorted({c.code for c in countries}),
        "country_actors": sorted({c.code for c in countries if c.actor}),
        "dyads": list(enr.dyads),
        **entity_fields(persons, orgs),
        "topics": [tp.name for tp in enr.topics],
        "entity_labels": sorted({e.label for e in enr.entities}),
        # Optional fields (coverage) are UNSET in older messages: left out, as msgspec does.
        "enrichment": {
            f: v for f in _ENRICHMENT_FIELDS if (v := getattr(enr, f)) is not msgspec.UNSET
        },
    }


def from_document(source: dict[str, Any]) -> tuple[Article, str | None]:
    """The article a document was made from, and when it was indexed (for ``index migrate``).

    Documents carry every field of the article, so a mapping change re-derives documents with the
    current :func:`to_document` instead of copying fields the new mapping may no longer accept.
    """
    enr = dict(source["enrichment"])
    enr["lemmas"] = source.get("lemmas") or ""
    stamps = dict(source["timestamps"])
    indexed = stamps.pop("indexed", None)
    article = Article(
        schema_version=source["schema_version"],
        id=source["id"],
        version=source["version"],
        url=source["url"],
        canonical_url=source["canonical_url"],
        title=source["title"],
        text=source["text"],
        published=source["published"],
        published_from=source["published_from"],
        source=msgspec.convert(source["source"], Source),
        timestamps=msgspec.convert(stamps, Timestamps),
        guid=source.get("guid"),
        authors=tuple(source.get("authors") or ()),
        updated=source.get("updated"),
        fingerprint=source.get("fingerprint") or "",
        enrichment=msgspec.convert(enr, Enrichment),
    )
    return article, indexed


def _delta(start: int | None, end: int | None) -> int | None:
    return end - start if start is not None and end is not None else None
