"""Messages injected straight into the raw and enriched topics, each with the outcome it must get.

Poison must end in the dead-letter topic with one of its allowed ``dw-error`` reasons (a reason
ending in ``*`` is a prefix: Elasticsearch's refusals are ``es_<type>``). Hostile messages are
schema-valid but nasty (huge lists, odd Unicode, control characters, extreme numbers) and must be
indexed exactly once, like any article.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import msgspec
from kafka import KafkaProducer

from diplowire.wire.article import (
    Article,
    Country,
    Enrichment,
    Entity,
    Mention,
    Model,
    Organization,
    Person,
    Source,
    Timestamps,
    Topic,
    encode,
    replace,
)
from diplowire.wire.settings import KafkaSettings

_enc = msgspec.json.Encoder()
# Over the workers' 1,000,000-byte decode limit, under the topics' max.message.bytes.
_OVER_LIMIT_CHARS = 1_010_000

UNICODE = (
    "Z̷̢̛a̴͎͒l̸̰̊g̵̣̈́o̶̗͝ \u202eevil\u202c "  # combining marks, right-to-left override
    "👨‍👩‍👧‍👦 🏳️‍🌈 "  # zero-width-joiner sequences
    "北京外交部 مجلس الأمن Совбез ﷽ \u200b\u200d\ufeff"
)
CONTROL = "bell\x07 esc\x1b[31mred\x1b[0m del\x7f nul\x00 ls\u2028ps\u2029 vt\x0b ff\x0c"
SENTENCE = (
    "The foreign ministers of France and Germany met in Berlin on Monday to discuss sanctions."
)


@dataclass(frozen=True)
class Injected:
    key: str
    topic: str
    """``raw`` or ``enriched``."""
    value: bytes | None
    kind: str
    reasons: tuple[str, ...] = ()
    """Empty: must be indexed. Otherwise the dw-error values it may be dead-lettered with."""
    stages: tuple[str, ...] = ("enrich", "index")

    @property
    def poison(self) -> bool:
        return bool(self.reasons)

    def reason_ok(self, reason: str) -> bool:
        return any(
            reason.startswith(r[:-1]) if r.endswith("*") else reason == r for r in self.reasons
        )


def article(key: str, **changes: object) -> Article:
    art = Article(
        schema_version=1,
        id=key,
        version=1,
        url=f"https://hostile.example/{key}",
        canonical_url=f"https://hostile.example/{key}",
        title=f"Injected {key}",
        text=SENTENCE,
        published="2026-11-30T08:00:00Z",
        published_from="published",
        source=Source(
            name="fault injector", feed_url="https://hostile.example/feed", lang_hint="en"
        ),
        timestamps=Timestamps(fetched="2026-11-30T08:00:01Z", produced="2026-11-30T08:00:02Z"),
    )
    return replace(art, **changes)


def enrichment(**changes: object) -> Enrichment:
    enr = Enrichment(
        pipeline_version="0.1.0",
        models=(Model(name="en_core_web_sm", version="3.8.0"),),
        lang="en",
        lang_confidence=0.99,
    )
    return replace(enr, **changes)


def _huge_enrichment() -> Enrichment:
    mention = (Mention(start=0, end=7, text="France"),)
    return enrichment(
        entities=tuple(
            Entity(label="GPE", text=f"Ort{i}", start=i, end=i + 4) for i in range(8000)
        ),
        countries=tuple(
            Country(
                code=f"{chr(65 + i // 26)}{chr(65 + i % 26)}",
                name=f"C{i}",
                actor=bool(i % 2),
                mentions=mention * 20,
            )
            for i in range(300)
        ),
        dyads=tuple(f"A{i}-B{i}" for i in range(2000)),
        persons=tuple(
            Person(name=f"{UNICODE[:20]} {i}", role="minister", country="FR") for i in range(300)
        ),
        organizations=tuple(Organization(name=f"Org {i}", type="other") for i in range(300)),
        topics=tuple(Topic(name=f"topic{i}", score=i / 7, evidence=("x",) * 5) for i in range(200)),
        lemmas=" ".join(["lemma"] * 20000),
    )


def catalogue(round_no: int) -> list[Injected]:
    """One round of injected messages; keys are unique per round."""

    def k(name: str) -> str:
        # Ids in the pipeline's form (32 hex), so only the flaw under test makes a message poison.
        return hashlib.sha256(f"inject-{name}-{round_no}".encode()).hexdigest()[:32]

    def raw(name: str, **changes: object) -> bytes:
        return encode(article(k(name), **changes))

    def enr(name: str, enr: Enrichment | None = None, **changes: object) -> bytes:
        return encode(article(k(name), enrichment=enr or enrichment(), **changes))

    def major(name: str, version: int, **changes: object) -> bytes:
        doc = msgspec.to_builtins(article(k(name), **changes))
        return _enc.encode({**doc, "schema_version": version})

    over = "x" * _OVER_LIMIT_CHARS
    long_id = k("raw-longid") + "i" * 600  # Elasticsearch refuses a _bulk with a >512-byte _id
    lang_odd = Source(name=UNICODE, feed_url="https://hostile.example/☃", lang_hint="zz-ZZ-x-☃")
    numbers = enrichment(
        lang_confidence=3.0e38,  # the largest a float field takes
        topics=(Topic(name="t", score=1e308),),
        entities=(Entity(label="X", text="x", start=-5, end=10**12),),
    )
    odd_person = (Person(name=CONTROL, role=UNICODE, country="\x00\x00"),)
    # (name, value, kind, allowed dead-letter reasons) for the raw topic: the enricher's poison.
    raw_poison = [
        ("raw-json", b'{"schema_version": 1, "id": "cut', "invalid_json", "invalid_json"),
        ("raw-surrogate", b'{"schema_version":1,"id":"\\ud800"}', "lone_surrogate", "invalid_json"),
        ("raw-v2", major("raw-v2", 2), "unknown_major", "unsupported_version"),
        (
            "raw-schema",
            b'{"schema_version":1,"id":5,"title":["x"]}',
            "bad_types",
            "schema_violation",
        ),
        ("raw-tombstone", None, "tombstone", "empty"),
        ("raw-big", raw("raw-big", text=over), "oversized_message", "oversized"),
        ("raw-longtext", raw("raw-longtext", text="y " * 75_000), "oversized_text", "oversized"),
        (
            "raw-datebad",
            raw("raw-datebad", published="2026-02-30T10:00:00Z"),
            "bad_date",
            "schema_violation",
        ),
    ]
    # The same for the enriched topic: the indexer's poison.
    enr_poison = [
        ("enr-json", b"\x00\xff not json", "invalid_json", "invalid_json"),
        (
            "enr-v9",
            major("enr-v9", 9, enrichment=enrichment()),
            "unknown_major",
            "unsupported_version",
        ),
        (
            "enr-schema",
            b'{"schema_version":1,"id":"x","enrichment":{"lang":3}}',
            "bad_types",
            "schema_violation",
        ),
        ("enr-tombstone", None, "tombstone", "empty"),
        ("enr-big", enr("enr-big", text=over), "oversized_message", "oversized"),
        ("enr-raw", raw("enr-raw"), "not_enriched", "not_indexable"),
        ("enr-negver", enr("enr-negver", version=-1), "negative_version", "schema_violation"),
        ("enr-baddate", enr("enr-baddate", published="yesterday"), "bad_date", "schema_violation"),
    ]
    # Schema-valid but hostile: each must be indexed exactly once.
    raw_hostile = [
        ("raw-unicode", raw("raw-unicode", title=UNICODE, text=f"{UNICODE} {SENTENCE}"), "unicode"),
        (
            "raw-control",
            raw("raw-control", title=CONTROL, text=f"{SENTENCE} {CONTROL}"),
            "control_chars",
        ),
        (
            "raw-authors",
            raw("raw-authors", authors=tuple(f"{UNICODE[:8]}{i}" for i in range(2000))),
            "many_authors",
        ),
        ("raw-90k", raw("raw-90k", text=" ".join([SENTENCE] * 1000)[:90_000]), "long_text"),
        ("raw-empty", raw("raw-empty", title="", text=""), "empty_text"),
        ("raw-hint", raw("raw-hint", source=lang_odd), "odd_lang_hint"),
    ]
    enr_hostile = [
        ("enr-huge", enr("enr-huge", _huge_enrichment()), "huge_lists"),
        (
            "enr-unicode",
            enr(
                "enr-unicode",
                enrichment(persons=odd_person, lang=UNICODE[:30]),
                title=CONTROL + UNICODE,
            ),
            "unicode_fields",
        ),
        ("enr-numbers", enr("enr-numbers", numbers, version=2**63 - 1), "extreme_numbers"),
    ]
    items = [Injected(k(n), "raw", v, kind, (r,), ("enrich",)) for n, v, kind, r in raw_poison]
    items.append(
        Injected(
            long_id, "raw", encode(article(long_id)), "long_id", ("schema_violation",), ("enrich",)
        )
    )
    items += [Injected(k(n), "enriched", v, kind, (r,), ("index",)) for n, v, kind, r in enr_poison]
    items += [Injected(k(n), "raw", v, kind) for n, v, kind in raw_hostile]
    items += [Injected(k(n), "enriched", v, kind) for n, v, kind in enr_hostile]
    return items


class Injector:
    def __init__(self, kafka: KafkaSettings) -> None:
        self.kafka = kafka
        self.sent: list[Injected] = []

    def send_round(self, round_no: int) -> int:
        producer = KafkaProducer(
            **self.kafka.client_config(),
            acks="all",
            compression_type="gzip",
            max_request_size=2_000_000,
            retries=10,
        )
        try:
            items = catalogue(round_no)
            topics = {"raw": self.kafka.topics.raw, "enriched": self.kafka.topics.enriched}
            futures = [
                producer.send(topics[i.topic], key=i.key.encode(), value=i.value) for i in items
            ]
            producer.flush(timeout=60)
            for fut in futures:
                fut.get(timeout=0)
        finally:
            producer.close(timeout=10)
        self.sent.extend(items)
        return len(items)
