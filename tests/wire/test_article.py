from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from wire.article import (
    SCHEMA_VERSION,
    Article,
    InvalidMessage,
    Source,
    Timestamps,
    decode,
    encode,
    json_schema,
    replace,
)

SCHEMAS = Path(__file__).resolve().parents[2] / "wire" / "schemas"


def _article(**kw: object) -> Article:
    base = Article(
        schema_version=SCHEMA_VERSION,
        id="abc",
        version=1,
        url="https://x.test/a",
        canonical_url="https://x.test/a",
        title="Titre",
        text="Texte",
        published="2025-02-10T10:00:00Z",
        published_from="published",
        source=Source(name="s", feed_url="https://x.test/feed"),
        timestamps=Timestamps(fetched="2025-02-10T10:00:01Z"),
    )
    return replace(base, **kw)


def test_round_trip_is_lossless() -> None:
    art = _article(authors=("A", "B"))
    assert decode(encode(art)) == art


def test_articles_are_immutable() -> None:
    art = _article()
    with pytest.raises(AttributeError):
        art.title = "x"  # type: ignore[misc]
    assert replace(art, title="x").title == "x" and art.title == "Titre"


@pytest.mark.parametrize(
    ("payload", "starts"),
    [
        (b"{not json", "invalid JSON"),
        (b'{"schema_version": 1, "id": 3}', "schema violation"),
        (json.dumps({"schema_version": 99}).encode(), "unsupported schema_version 99"),
        (None, "empty message"),
    ],
)
def test_poison_messages_are_refused_with_a_reason(payload: bytes | None, starts: str) -> None:
    with pytest.raises(InvalidMessage) as info:
        decode(payload)
    assert str(info.value).startswith(starts)


def test_oversized_messages_are_refused_before_parsing() -> None:
    data = encode(_article(text="x" * 5000))
    with pytest.raises(InvalidMessage, match="over the limit"):
        decode(data, max_bytes=1000)


def test_unknown_fields_from_a_newer_minor_are_tolerated() -> None:
    obj = json.loads(encode(_article()))
    obj["something_new"] = [1, 2]
    assert decode(json.dumps(obj).encode()).id == "abc"


@pytest.mark.parametrize("kind", ["raw", "enriched"])
def test_published_schema_files_match_the_code(kind: str) -> None:
    committed = json.loads((SCHEMAS / f"article-{kind}.v1.schema.json").read_text())
    generated = json.loads(json.dumps(json_schema(kind)))
    assert committed == generated, "regenerate: diplowire schema KIND > wire/schemas/..."


def test_raw_schema_accepts_raw_and_rejects_enrichment_claims() -> None:
    schema = json_schema("raw")
    jsonschema.validate(json.loads(encode(_article())), schema)
    bad = json.loads(encode(_article()))
    bad["schema_version"] = 2
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
