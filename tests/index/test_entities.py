"""Canonical entities end to end: French and English articles enriched by the real pipeline,
indexed in the real Elasticsearch, found by ``search --person/--org`` and the ``subscribe``
predicate whatever language or letter case the filter and the article use."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from diplowire.cli import main
from diplowire.enrich.pipeline import enrich_batch
from diplowire.index.docs import from_document, to_document
from diplowire.index.query import Filters, matches
from diplowire.wire.article import Article, Source, replace
from diplowire.wire.outcomes import Poison
from diplowire.wire.settings import ElasticsearchSettings, KafkaSettings
from tests.index.helpers import index_directly, produce
from tests.support import Stack
from tests.support.messages import make_article

SAMPLES = {
    "fr": (
        "Vladimir Poutine reçoit le secrétaire général de l'ONU",
        "Le président russe Vladimir Poutine a reçu jeudi à Moscou le secrétaire général de "
        "l'ONU, António Guterres. L'ambassade de France à Kinshasa a fermé ses portes, a indiqué "
        "le ministère français des Affaires étrangères.",
    ),
    "en": (
        "Putin hosts the United Nations chief",
        "Russian President Vladimir Putin met UN Secretary-General Antonio Guterres in Moscow on "
        "Thursday. The French Embassy in Kinshasa closed its doors, the French Foreign Ministry "
        "said.",
    ),
    # Neither the person nor the organisations: what the filters must leave out.
    "other": (
        "Scholz meets Trudeau in Berlin",
        "German Chancellor Olaf Scholz met Canadian Prime Minister Justin Trudeau in Berlin on "
        "Friday to discuss trade and the International Monetary Fund.",
    ),
}


@cache
def _enriched() -> dict[str, Article]:
    raw = [
        make_article(
            id=f"{i:032x}",
            title=title,
            text=text,
            source=Source(name=key, feed_url="https://x.test/feed", lang_hint=key[:2]),
        )
        for i, (key, (title, text)) in enumerate(SAMPLES.items(), start=1)
    ]
    out = enrich_batch(raw)
    assert not [o for o in out if isinstance(o, Poison)]
    return {a.source.name: a for a in out if isinstance(a, Article)}


@pytest.fixture(scope="module")
def module_es(stack: Stack) -> Iterator[ElasticsearchSettings]:
    """One namespaced index for the module: the searches only read it."""
    settings = ElasticsearchSettings(
        url=stack.es_url, index_prefix=f"t{uuid.uuid4().hex[:10]}-articles"
    )
    yield settings
    es = Elasticsearch(stack.es_url)
    prefix = settings.index_prefix
    es.indices.delete(
        index=f"{prefix}-*", ignore_unavailable=True, allow_no_indices=True, expand_wildcards="all"
    )
    es.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}-template")
    es.close()


@pytest.fixture(scope="module")
def indexed(module_es: ElasticsearchSettings) -> Iterator[Elasticsearch]:
    es = index_directly(module_es, list(_enriched().values()))
    yield es
    es.close()


def _search(module_es: ElasticsearchSettings, capsys: pytest.CaptureFixture[str], *argv: str):
    capsys.readouterr()
    assert main(["search", "--json", "--limit", "50", *argv]) == 0
    return {h["id"] for h in json.loads(capsys.readouterr().out)["hits"]}


def _ids(*keys: str) -> set[str]:
    return {_enriched()[k].id for k in keys}


def test_the_enricher_gives_one_id_and_label_per_entity_in_both_languages() -> None:
    arts = _enriched()
    fr, en = arts["fr"].enrichment, arts["en"].enrichment
    assert fr is not None and en is not None
    fr_putin = next(p for p in fr.persons if "Poutine" in p.name)
    en_putin = next(p for p in en.persons if "Putin" in p.name)
    assert fr_putin.id == en_putin.id == "vladimir-putin"
    assert fr_putin.label == en_putin.label == "Vladimir Putin"
    assert fr_putin.name == "Vladimir Poutine"  # the text's own form stays in the name
    assert {p.id for p in fr.persons} == {p.id for p in en.persons}
    assert {o.id for o in fr.organizations} == {o.id for o in en.organizations}
    by_id = {o.id: o for o in fr.organizations}
    assert by_id["UN"].name == "ONU" and by_id["UN"].label == "UN"
    mission = by_id["mission:FR:embassy:CD"]
    assert mission.label == "Embassy of France in Kinshasa"
    # The KB lists France's foreign ministry: its id, whatever the text calls it.
    assert by_id["FR_MEAE"].label == "French Ministry for Europe and Foreign Affairs"


def test_facets_are_one_bucket_per_entity_and_case_insensitive(
    indexed: Elasticsearch, module_es: ElasticsearchSettings
) -> None:
    aggs: dict[str, Any] = {
        f: {"terms": {"field": f, "size": 50}}
        for f in ("persons", "person_ids", "organizations", "missions", "mission_ids")
    }
    resp = indexed.search(index=module_es.index_prefix, size=0, aggs=aggs)
    buckets = {
        f: {b["key"]: b["doc_count"] for b in a["buckets"]} for f, a in resp["aggregations"].items()
    }
    assert buckets["persons"]["Vladimir Putin"] == 2
    assert "Vladimir Poutine" not in buckets["persons"]
    assert buckets["person_ids"]["vladimir-putin"] == 2
    assert buckets["organizations"]["UN"] == 2 and "ONU" not in buckets["organizations"]
    assert buckets["missions"] == {"Embassy of France in Kinshasa": 2}
    assert buckets["mission_ids"] == {"mission:FR:embassy:CD": 2}
    # KQL `persons.lc : "vladimir putin"` is this term query: the lower-cased subfield.
    for value in ("vladimir putin", "VLADIMIR PUTIN"):
        hits = indexed.count(
            index=module_es.index_prefix, query={"term": {"persons.lc": value.lower()}}
        )
        assert hits["count"] == 2


@pytest.mark.parametrize(
    ("argv", "keys"),
    [
        (["--person", "putin"], ("fr", "en")),
        (["--person", "poutine"], ("fr", "en")),
        (["--person", "VLADIMIR PUTIN"], ("fr", "en")),
        (["--person", "vladimir-putin"], ("fr", "en")),
        (["--person", "Antonio Guterres"], ("fr", "en")),
        (["--person", "scholz"], ("other",)),
        (["--org", "onu"], ("fr", "en")),
        # Words from their start: "un" is the UN, not the "un" inside "Fund".
        (["--org", "un"], ("fr", "en")),
        (["--org", "fmi"], ("other",)),
        (["--org", "united nations"], ("fr", "en")),
        (["--org", "embassy of france"], ("fr", "en")),
        # Missions are not KB entities: their names in other languages are not known forms.
        (["--org", "ambassade de france"], ("fr",)),
        (["--person", "nobody at all"], ()),
    ],
)
def test_search_and_subscribe_find_an_entity_by_any_name_form(
    indexed: Elasticsearch,
    module_es: ElasticsearchSettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    keys: tuple[str, ...],
) -> None:
    monkeypatch.setenv("DIPLOWIRE_ELASTICSEARCH_URL", module_es.url)
    monkeypatch.setenv("DIPLOWIRE_ELASTICSEARCH_INDEX_PREFIX", module_es.index_prefix)
    assert _search(module_es, capsys, *argv) == _ids(*keys)
    # ``subscribe`` selects with the same predicate on the articles read from Kafka.
    kind = "persons" if argv[0] == "--person" else "organizations"
    f = Filters.build(**{kind: [argv[1]]})
    assert {a.id for a in _enriched().values() if matches(f, a)} == _ids(*keys)


def test_messages_without_ids_get_the_same_ids_when_indexed() -> None:
    """Messages enriched before ids existed: the indexer derives them from the names."""
    art = _enriched()["fr"]
    enr = art.enrichment
    assert enr is not None
    bare = replace(
        art,
        enrichment=replace(
            enr,
            persons=tuple(replace(p, id="", label="") for p in enr.persons),
            organizations=tuple(replace(o, id="", label="") for o in enr.organizations),
        ),
    )
    new, old = to_document(art, "2025-02-10T10:00:05Z"), to_document(bare, "2025-02-10T10:00:05Z")
    for field in ("person_ids", "persons", "organization_ids", "person_names"):
        assert old[field] == new[field], field
    assert "UN" in old["organization_ids"] and "vladimir-putin" in old["person_ids"]
    # ``index migrate`` re-derives documents from the article a document holds: the same ids.
    migrated = to_document(from_document(old)[0], "2025-02-10T10:00:05Z")
    assert migrated["person_ids"] == new["person_ids"]
    assert migrated["mission_ids"] == new["mission_ids"] == ["mission:FR:embassy:CD"]


def test_subscribe_follows_a_person_across_languages_on_kafka(
    kafka: KafkaSettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    produce(kafka, list(_enriched().values()))
    monkeypatch.setenv("DIPLOWIRE_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrap_servers)
    monkeypatch.setenv("DIPLOWIRE_KAFKA_TOPIC_PREFIX", kafka.topic_prefix)
    capsys.readouterr()
    argv = ["subscribe", "--idle-exit", "2", "--from", "earliest", "--person", "Poutine"]
    assert main(argv) == 0
    got = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {g["id"] for g in got} == _ids("fr", "en")
    # Whole articles, as on the wire: the English one names him Putin, with the same id.
    names = {p["name"]: p["id"] for g in got for p in g["enrichment"]["persons"]}
    assert names["Vladimir Putin"] == names["Vladimir Poutine"] == "vladimir-putin"
