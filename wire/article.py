"""The one message type that crosses the wire: an article, raw or enriched.

Every stage returns a new value (``msgspec.structs.replace``); nothing mutates an article.
Character offsets in the enrichment refer to :func:`Article.body`, i.e. ``title + "\\n\\n" + text``.
"""

from __future__ import annotations

from typing import TypeVar

import msgspec

SCHEMA_VERSION = 1
"""Bumped on any incompatible change; readers refuse majors they do not know."""


class Source(msgspec.Struct, frozen=True):
    name: str
    feed_url: str
    lang_hint: str | None = None


class Timestamps(msgspec.Struct, frozen=True):
    """Stage timestamps in ISO 8601 UTC, so freshness can be measured per article."""

    fetched: str
    produced: str | None = None
    enriched: str | None = None


class Mention(msgspec.Struct, frozen=True):
    start: int
    end: int
    text: str


class Entity(msgspec.Struct, frozen=True):
    """A raw named entity from the statistical NER model."""

    label: str
    text: str
    start: int
    end: int


class Country(msgspec.Struct, frozen=True):
    code: str
    """ISO 3166-1 alpha-2."""
    name: str
    actor: bool
    """True when the state acts in the story, False when it is only a venue or a place mentioned."""
    mentions: tuple[Mention, ...] = ()


class Person(msgspec.Struct, frozen=True):
    name: str
    role: str | None = None
    country: str | None = None
    """The state the person serves (ISO alpha-2), where the text says so."""
    posted_to: str | None = None
    mentions: tuple[Mention, ...] = ()


class Organization(msgspec.Struct, frozen=True):
    name: str
    type: str
    """foreign_ministry | diplomatic_mission | international_org | other"""
    country: str | None = None
    city: str | None = None
    mentions: tuple[Mention, ...] = ()


class Topic(msgspec.Struct, frozen=True):
    name: str
    score: float
    evidence: tuple[str, ...] = ()


class Model(msgspec.Struct, frozen=True):
    name: str
    version: str


class Enrichment(msgspec.Struct, frozen=True):
    pipeline_version: str
    models: tuple[Model, ...]
    lang: str
    lang_confidence: float
    entities: tuple[Entity, ...] = ()
    countries: tuple[Country, ...] = ()
    dyads: tuple[str, ...] = ()
    persons: tuple[Person, ...] = ()
    organizations: tuple[Organization, ...] = ()
    topics: tuple[Topic, ...] = ()
    lemmas: str = ""
    """Lower-cased lemmas of the body, so language-aware search works without ES analyzers."""


class Article(msgspec.Struct, frozen=True):
    schema_version: int
    id: str
    """Stable id: derived from the canonical URL (see ``ingest.normalize.article_id``)."""
    version: int
    """Content version: 1 on first sight, +1 each time the title or text changes."""
    url: str
    canonical_url: str
    title: str
    text: str
    published: str
    """ISO 8601 UTC."""
    published_from: str
    """Where ``published`` came from: ``published``, ``updated`` or ``fetched`` (fallback)."""
    source: Source
    timestamps: Timestamps
    guid: str | None = None
    authors: tuple[str, ...] = ()
    updated: str | None = None
    fingerprint: str = ""
    """Content fingerprint shared by syndicated copies of one story."""
    enrichment: Enrichment | None = None

    def body(self) -> str:
        return f"{self.title}\n\n{self.text}" if self.text else self.title


class InvalidMessage(ValueError):
    """A message that can never be processed (poison): bad JSON, schema violation, unknown major."""


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Article)


def encode(article: Article) -> bytes:
    return _encoder.encode(article)


def decode(data: bytes | None, *, max_bytes: int | None = None) -> Article:
    if data is None:
        raise InvalidMessage("empty message (tombstone)")
    if max_bytes is not None and len(data) > max_bytes:
        raise InvalidMessage(f"message of {len(data)} bytes is over the limit of {max_bytes}")
    try:
        article = _decoder.decode(data)
    except msgspec.ValidationError as exc:
        # Read the version first so an unknown major is reported as such, not as a field error.
        version = _peek_version(data)
        if version is not None and version != SCHEMA_VERSION:
            raise InvalidMessage(f"unsupported schema_version {version}") from exc
        raise InvalidMessage(f"schema violation: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise InvalidMessage(f"invalid JSON: {exc}") from exc
    if article.schema_version != SCHEMA_VERSION:
        raise InvalidMessage(f"unsupported schema_version {article.schema_version}")
    return article


def _peek_version(data: bytes) -> int | None:
    try:
        obj = msgspec.json.decode(data)
    except msgspec.DecodeError:
        return None
    value = obj.get("schema_version") if isinstance(obj, dict) else None
    return value if isinstance(value, int) else None


S = TypeVar("S", bound=msgspec.Struct)


def replace(value: S, **changes: object) -> S:
    return msgspec.structs.replace(value, **changes)


def json_schema(kind: str) -> dict[str, object]:
    """JSON Schema of a message kind: ``raw`` (enrichment absent/null) or ``enriched``."""
    schema: dict[str, object] = msgspec.json.schema(Article)
    defs = schema["$defs"]
    assert isinstance(defs, dict)
    article = dict(defs["Article"])
    props = dict(article["properties"])
    if kind == "enriched":
        props["enrichment"] = {"$ref": "#/$defs/Enrichment"}
        article["required"] = sorted({*article["required"], "enrichment"})
    elif kind == "raw":
        props["enrichment"] = {"type": "null", "default": None}
    else:
        raise ValueError(f"unknown message kind {kind!r}")
    props["schema_version"] = {"const": SCHEMA_VERSION}
    article["properties"] = props
    defs = {**defs, "Article": article}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://diplowire.dev/schemas/article-{kind}-v{SCHEMA_VERSION}.json",
        "title": f"diplowire {kind} article, schema version {SCHEMA_VERSION}",
        "$ref": "#/$defs/Article",
        "$defs": defs,
    }
