from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from diplowire.ingest.normalize import article_id
from diplowire.wire import topics as t
from diplowire.wire.admin import ensure_topics
from diplowire.wire.article import (
    InvalidMessage,
    decode,
    encode,
    json_schema,
    replace,
)
from diplowire.wire.outcomes import MessageError
from diplowire.wire.settings import EnrichSettings, KafkaSettings, LoopSettings
from tests.support.messages import ARTICLE_ID, hex_id, make_article, produce_values

SCHEMAS = Path(__file__).resolve().parents[2] / "wire" / "schemas"
FIXTURE = Path(__file__).resolve().parents[1] / "index" / "fixtures" / "enriched.jsonl"


def test_round_trip_is_lossless() -> None:
    art = make_article(authors=("A", "B"))
    assert decode(encode(art)) == art


def test_articles_are_immutable() -> None:
    art = make_article()
    with pytest.raises(AttributeError):
        art.title = "x"  # type: ignore[misc]
    assert replace(art, title="x").title == "x" and art.title == "Titre"


@pytest.mark.parametrize(
    ("payload", "starts", "kind"),
    [
        (b"{not json", "invalid JSON", "invalid_json"),
        (b'{"a":' * 100_000, "invalid JSON: nested too deeply", "invalid_json"),
        (b'{"schema_version": 1, "id": 3}', "schema violation", "schema_violation"),
        (
            json.dumps({"schema_version": 99}).encode(),
            "unsupported schema_version 99",
            "unsupported_version",
        ),
        (None, "empty message", "empty"),
    ],
)
def test_poison_messages_are_refused_with_a_reason(
    payload: bytes | None, starts: str, kind: str
) -> None:
    with pytest.raises(InvalidMessage) as info:
        decode(payload)
    assert str(info.value).startswith(starts)
    # The kind is typed where it is raised, and its value is the dw-error label on the wire.
    assert isinstance(info.value.kind, MessageError)
    assert info.value.kind == kind


def test_an_unsupported_version_with_field_errors_is_reported_as_the_version() -> None:
    with pytest.raises(InvalidMessage) as info:
        decode(json.dumps({"schema_version": 2, "id": 3}).encode())
    assert info.value.kind is MessageError.UNSUPPORTED_VERSION


def test_a_day_that_does_not_exist_is_a_schema_violation() -> None:
    data = encode(make_article()).replace(
        b'"published":"', b'"published":"2025-02-30T00:00:00Z","x":"'
    )
    with pytest.raises(InvalidMessage) as info:
        decode(data)
    assert info.value.kind is MessageError.SCHEMA_VIOLATION
    assert "published" in str(info.value)


def test_oversized_messages_are_refused_before_parsing() -> None:
    data = encode(make_article(text="x" * 5000))
    with pytest.raises(InvalidMessage, match="over the limit") as info:
        decode(data, max_bytes=1000)
    assert info.value.kind is MessageError.OVERSIZED


def test_unknown_fields_from_a_newer_minor_are_tolerated() -> None:
    obj = json.loads(encode(make_article()))
    obj["something_new"] = [1, 2]
    assert decode(json.dumps(obj).encode()).id == ARTICLE_ID


@pytest.mark.parametrize("kind", ["raw", "enriched"])
def test_published_schema_files_match_the_code(kind: str) -> None:
    committed = json.loads((SCHEMAS / f"article-{kind}.v1.schema.json").read_text())
    generated = json.loads(json.dumps(json_schema(kind)))
    assert committed == generated, "regenerate: diplowire schema KIND > wire/schemas/..."


def test_raw_schema_accepts_raw_and_rejects_enrichment_claims() -> None:
    schema = json_schema("raw")
    jsonschema.validate(json.loads(encode(make_article())), schema)
    bad = json.loads(encode(make_article()))
    bad["schema_version"] = 2
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def _with(path: str, value: object) -> bytes:
    """A valid raw message with one field, at a dotted path, replaced."""
    obj = json.loads(encode(make_article(updated="2025-02-10T10:00:00Z")))
    *parents, last = path.split(".")
    target = obj
    for name in parents:
        target = target[name]
    target[last] = value
    return json.dumps(obj).encode()


HOSTILE = [
    # Elasticsearch refuses a whole bulk request for an _id over 512 bytes or a negative version.
    ("id", "../../_cluster/settings"),
    ("id", "a" * 600),
    ("id", ARTICLE_ID.upper()),
    ("id", ARTICLE_ID[:-1]),
    ("id", ARTICLE_ID + "0"),
    ("id", ARTICLE_ID + "\n"),
    ("id", ""),
    ("version", 0),
    ("version", -1),
    ("version", 2**63),
    ("published", "the day before yesterday"),
    ("published", "2025-02-30T10:00:00Z"),
    ("published", "2025-02-10T10:00:00"),  # no offset: not an instant
    ("published", "2025-02-10T10:00:00Z\n"),
    ("published", "2025-02-10 10:00:00Z"),
    ("published", "0000-01-01T00:00:00Z"),
    ("updated", "2025-13-01T10:00:00Z"),
    ("updated", "2025-02-10T24:00:00Z"),
    ("timestamps.fetched", "yesterday"),
    ("timestamps.produced", "2025-02-29T00:00:00Z"),
    ("timestamps.enriched", "2025-02-10T10:00:00+25:00"),
]


@pytest.mark.parametrize(("path", "value"), HOSTILE)
def test_what_the_downstream_cannot_store_is_a_schema_violation(path: str, value: object) -> None:
    with pytest.raises(InvalidMessage) as info:
        decode(_with(path, value))
    assert str(info.value).startswith("schema violation"), info.value
    assert info.value.kind is MessageError.SCHEMA_VIOLATION
    assert path.split(".")[-1] in str(info.value)


def test_the_cluster_settings_path_as_an_id_is_refused() -> None:
    with pytest.raises(InvalidMessage, match=r"schema violation.*\$\.id"):
        decode(_with("id", "../../_cluster/settings"))


CALENDAR_ONLY = {"2025-02-30T10:00:00Z", "0000-01-01T00:00:00Z", "2025-02-29T00:00:00Z"}
"""Well-formed but not a day that exists: a pattern cannot tell, decode's calendar check does."""


@pytest.mark.parametrize(("path", "value"), [h for h in HOSTILE if h[1] not in CALENDAR_ONLY])
def test_the_published_schema_refuses_them_too(path: str, value: object) -> None:
    schema = json.loads((SCHEMAS / "article-raw.v1.schema.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(json.loads(_with(path, value)), schema)


@pytest.mark.parametrize(
    "instant",
    ["2025-02-10T10:00:00Z", "2025-02-10T10:00:00.123Z", "2024-02-29T23:59:59.123456789+05:30"],
)
def test_instants_with_offsets_and_fractions_are_accepted(instant: str) -> None:
    art = decode(_with("published", instant))
    assert art.published == instant


def test_the_wire_json_of_real_articles_is_unchanged() -> None:
    """The types tightened, the bytes did not: every enriched fixture re-encodes identically."""
    lines = [line for line in FIXTURE.read_bytes().splitlines() if line.strip()]
    assert len(lines) > 100
    for line in lines:
        art = decode(line)
        assert encode(art) == line
        assert art.id == article_id(art.canonical_url)


def test_the_enrich_stage_dead_letters_them_and_enriches_the_rest(
    kafka: KafkaSettings, fast_loop: LoopSettings
) -> None:
    """The first stage that decodes them: the enricher, reading the raw topic."""
    from diplowire.enrich.worker import run_worker
    from tests.support import WorkerThread, committed, read_topic, wait_for

    ensure_topics(kafka)
    # Ids, versions, instants (one only the calendar check refuses).
    hostile = [_with(path, value) for path, value in HOSTILE[::3]]
    good = [
        encode(make_article(id=hex_id(f"good{i}"), title="La France et le Mali")) for i in range(2)
    ]
    produce_values(kafka, kafka.topics.raw, [good[0], *hostile, good[1]])
    total = len(hostile) + len(good)
    with WorkerThread(run_worker, EnrichSettings(kafka=kafka, loop=fast_loop)) as worker:
        wait_for(
            lambda: committed(kafka, kafka.topics.group("enrich")) == total,
            120,
            "every raw message handled",
            (worker,),
        )
    assert worker.error is None
    assert worker.stats.by_reason == {"schema_violation": len(hostile)}
    dead = read_topic(kafka, kafka.topics.deadletter)
    assert sorted(r.value for r in dead) == sorted(hostile)
    assert {dict(r.headers)[t.H_STAGE] for r in dead} == {b"enrich"}
    assert {dict(r.headers)[t.H_ERROR] for r in dead} == {b"schema_violation"}
    enriched = read_topic(kafka, kafka.topics.enriched)
    assert sorted(decode(r.value).id for r in enriched) == sorted(
        hex_id(f"good{i}") for i in range(2)
    )
