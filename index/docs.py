"""Pure mapping from an enriched article to its Elasticsearch document."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from wire.article import Article, Enrichment, Source, Timestamps


class NotIndexable(ValueError):
    pass


def _ms(iso: str | None) -> int | None:
    if not iso:
        return None
    try:
        return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


def to_document(article: Article, indexed_at: str) -> dict[str, Any]:
    enr = article.enrichment
    if enr is None:
        raise NotIndexable("article has no enrichment block (was it read from the raw topic?)")
    ts = article.timestamps
    fetched = _ms(ts.fetched)
    indexed = _ms(indexed_at)
    persons = [p for p in enr.persons]
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
        "published": article.published,
        "published_from": article.published_from,
        "updated": article.updated,
        "authors": list(article.authors),
        "fingerprint": article.fingerprint,
        "source": msgspec.to_builtins(article.source),
        "timestamps": {**msgspec.to_builtins(article.timestamps), "indexed": indexed_at},
        "freshness_ms": (indexed - fetched) if fetched is not None and indexed else None,
        "stage_ms": {
            "produce": _delta(fetched, _ms(ts.produced)),
            "enrich": _delta(_ms(ts.produced), _ms(ts.enriched)),
            "index": _delta(_ms(ts.enriched), indexed),
        },
        "lang": enr.lang,
        "lang_confidence": enr.lang_confidence,
        "pipeline_version": enr.pipeline_version,
        "countries": sorted({c.code for c in enr.countries}),
        "country_actors": sorted({c.code for c in enr.countries if c.actor}),
        "dyads": list(enr.dyads),
        "persons": sorted({p.name for p in persons}),
        "person_roles": sorted({p.role for p in persons if p.role}),
        "person_labels": sorted({_person_label(p.name, p.role, p.country) for p in persons}),
        "organizations": sorted({o.name for o in enr.organizations}),
        "organization_types": sorted({o.type for o in enr.organizations}),
        "organization_labels": sorted({f"{o.name} ({o.type})" for o in enr.organizations}),
        "missions": sorted(
            {
                " ".join(x for x in (o.country, o.name, o.city) if x)
                for o in enr.organizations
                if o.type == "diplomatic_mission"
            }
        ),
        "topics": [tp.name for tp in enr.topics],
        "entity_labels": sorted({e.label for e in enr.entities}),
        "enrichment": {k: v for k, v in msgspec.to_builtins(enr).items() if k != "lemmas"},
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


def _person_label(name: str, role: str | None, country: str | None) -> str:
    extra = ", ".join(x for x in (role, country) if x)
    return f"{name} ({extra})" if extra else name
