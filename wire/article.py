"""The one message type that crosses the wire: an article, raw or enriched.

Every stage returns a new value (``msgspec.structs.replace``); nothing mutates an article.
Character offsets in the enrichment refer to :func:`Article.body`, i.e. ``title + "\\n\\n" + text``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypeVar

import msgspec

from diplowire.wire.outcomes import MessageError

SCHEMA_VERSION = 1
"""Bumped on any incompatible change; readers refuse majors they do not know."""

# The constraints below are what the downstream can store: a message that Elasticsearch would
# refuse for the whole bulk request (an ``_id`` over 512 bytes, a negative external version)
# must be refused here, at decode time, where it is one dead letter and not a stalled indexer.
ID_LENGTH = 32
ArticleId = Annotated[
    str,
    msgspec.Meta(
        min_length=ID_LENGTH,
        # The exact length also keeps out the trailing newline that Python's ``$`` lets through.
        max_length=ID_LENGTH,
        pattern=f"^[0-9a-f]{{{ID_LENGTH}}}$",
        description="Lower-case hex of the canonical URL's SHA-256, as ingest.normalize.article_id",
    ),
]
ContentVersion = Annotated[
    int,
    # Elasticsearch's external versions are positive longs.
    msgspec.Meta(ge=1, le=2**63 - 1),
]
Instant = Annotated[
    str,
    msgspec.Meta(
        pattern=(
            r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
            r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?"
            # "(?!\n)": Python's "$" (msgspec, jsonschema) also matches before a final newline.
            r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$(?!\n)"
        ),
        description="An ISO 8601 instant: date, time and offset (UTC written Z)",
        # For JSON Schema validators that check formats: the calendar, which a pattern cannot.
        extra_json_schema={"format": "date-time"},
    ),
]
"""Kept a string so that the wire JSON stays byte for byte what the stages write; the calendar
(no 30 February) is checked by :func:`decode`, which a pattern cannot do."""


class Source(msgspec.Struct, frozen=True):
    name: str
    feed_url: str
    lang_hint: str | None = None


class Timestamps(msgspec.Struct, frozen=True):
    """Stage timestamps in ISO 8601 UTC, so freshness can be measured per article."""

    fetched: Instant
    produced: Instant | None = None
    enriched: Instant | None = None


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


# Canonical entities (see enrich/kb/entities.py). Optional so that messages written before they
# existed still decode (readers derive them then), and such messages re-encode byte for byte
# (UNSET fields are left out): not a new schema major.
EntityId = Annotated[
    str,
    msgspec.Meta(
        description=(
            "Language-neutral id of the real-world entity, the same in every language: a KB id "
            "('vladimir-putin' for Poutine and Putin, 'UN' for ONU, Nations unies and UN), "
            "a foreign ministry's KB id where the KB lists it ('US_DOS' for State Department and "
            "'the US foreign ministry'), else 'mfa:<country>', "
            "'mission:<sender>:<kind>[:<host code or folded city>]', "
            "'o:<country>:central_bank', else a normalised key: 'p:<folded name>' for persons, "
            "'o:<country>:<folded name>' for organisations (folded: no accents, lower case). "
            "Absent only in messages written before it existed."
        )
    ),
]
PersonLabel = Annotated[
    str,
    msgspec.Meta(
        description="One display name per id: the English KB name where the KB knows the "
        "person, else the name as found"
    ),
]
OrgLabel = Annotated[
    str,
    msgspec.Meta(
        description="One display name per id: the English KB name; for ministries, missions "
        "and central banks a name built in English ('Embassy of France in Kinshasa'); else "
        "the name as found"
    ),
]


class Person(msgspec.Struct, frozen=True):
    name: str
    """The name as the article gives it (or the KB's name in the article's language)."""
    id: EntityId | msgspec.UnsetType = msgspec.UNSET
    label: PersonLabel | msgspec.UnsetType = msgspec.UNSET
    role: str | None = None
    country: str | None = None
    """The state the person serves (ISO alpha-2), where the text says so."""
    posted_to: str | None = None
    mentions: tuple[Mention, ...] = ()


class Organization(msgspec.Struct, frozen=True):
    name: str
    """The name as the article gives it (or the KB's name in the article's language)."""
    type: str
    """foreign_ministry | diplomatic_mission | international_org | other"""
    id: EntityId | msgspec.UnsetType = msgspec.UNSET
    label: OrgLabel | msgspec.UnsetType = msgspec.UNSET
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


Coverage = Annotated[
    tuple[str, ...],
    msgspec.Meta(
        description=(
            "Which fields this language's pipeline fills, so that an empty field reads as "
            "'none found' only when it is listed: entities, countries, dyads, persons, "
            "organizations, topics, lemmas; 'persons_known' and 'organizations_known' when only "
            "knowledge-base entries are found (languages without NER). Absent in messages "
            "written before it existed."
        )
    ),
]


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
    # Optional (UNSET) like Person.id: messages written before it decode, and re-encode byte for
    # byte; a reader takes its absence as "unknown", not as "nothing extracted".
    coverage: Coverage | msgspec.UnsetType = msgspec.UNSET


class Article(msgspec.Struct, frozen=True):
    schema_version: int
    id: ArticleId
    """Stable id: derived from the canonical URL (see ``ingest.normalize.article_id``)."""
    version: ContentVersion
    """Content version: 1 on first sight, +1 each time the title or text changes."""
    url: str
    canonical_url: str
    title: str
    text: str
    published: Instant
    """ISO 8601 UTC."""
    published_from: str
    """Where ``published`` came from: ``published``, ``updated`` or ``fetched`` (fallback)."""
    source: Source
    timestamps: Timestamps
    guid: str | None = None
    authors: tuple[str, ...] = ()
    updated: Instant | None = None
    fingerprint: str = ""
    """Content fingerprint shared by syndicated copies of one story."""
    enrichment: Enrichment | None = None

    def body(self) -> str:
        return f"{self.title}\n\n{self.text}" if self.text else self.title


class InvalidMessage(ValueError):
    """A message that can never be processed (poison): bad JSON, schema violation, unknown major.

    ``kind`` is set where it is raised and becomes the dead letter's ``dw-error`` label; the
    message text is for people only.
    """

    def __init__(self, kind: MessageError, message: str) -> None:
        super().__init__(message)
        self.kind = kind


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Article)


def encode(article: Article) -> bytes:
    return _encoder.encode(article)


def decode(data: bytes | None, *, max_bytes: int | None = None) -> Article:
    if data is None:
        raise InvalidMessage(MessageError.EMPTY, "empty message (tombstone)")
    if max_bytes is not None and len(data) > max_bytes:
        raise InvalidMessage(
            MessageError.OVERSIZED, f"message of {len(data)} bytes is over the limit of {max_bytes}"
        )
    try:
        article = _decoder.decode(data)
    except msgspec.ValidationError as exc:
        # Read the version first so an unknown major is reported as such, not as a field error.
        version = _peek_version(data)
        if version is not None and version != SCHEMA_VERSION:
            raise InvalidMessage(
                MessageError.UNSUPPORTED_VERSION, f"unsupported schema_version {version}"
            ) from exc
        raise InvalidMessage(MessageError.SCHEMA_VIOLATION, f"schema violation: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise InvalidMessage(MessageError.INVALID_JSON, f"invalid JSON: {exc}") from exc
    except RecursionError as exc:
        # msgspec decodes recursively: nesting past the interpreter's limit raises this, which
        # would otherwise escape the consume loop and crash the worker on every restart.
        raise InvalidMessage(MessageError.INVALID_JSON, "invalid JSON: nested too deeply") from exc
    if article.schema_version != SCHEMA_VERSION:
        raise InvalidMessage(
            MessageError.UNSUPPORTED_VERSION, f"unsupported schema_version {article.schema_version}"
        )
    _check_calendar(article)
    return article


def _check_calendar(article: Article) -> None:
    """The instants' patterns passed; each must also be a day and time that exists."""
    ts = article.timestamps
    for name, value in (
        ("published", article.published),
        ("updated", article.updated),
        ("timestamps.fetched", ts.fetched),
        ("timestamps.produced", ts.produced),
        ("timestamps.enriched", ts.enriched),
    ):
        if value is None:
            continue
        try:
            datetime.fromisoformat(value)
        except ValueError as exc:
            raise InvalidMessage(
                MessageError.SCHEMA_VIOLATION, f"schema violation: {exc} - at `$.{name}`"
            ) from exc


def _peek_version(data: bytes) -> int | None:
    try:
        obj = msgspec.json.decode(data)
    except (msgspec.DecodeError, RecursionError):
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
