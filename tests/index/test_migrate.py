"""A mapping change is a new index plus an alias swap: ``diplowire index migrate`` on real ES."""

from __future__ import annotations

import copy
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from elasticsearch import Elasticsearch

from diplowire.cli import main
from diplowire.index.docs import to_document
from diplowire.index.layout import alias_indices, index_name
from diplowire.index.lease import Lease, lock_index
from diplowire.index.mapping import MAPPING_VERSION, PROPERTIES, template_body
from diplowire.index.migrate import IndexVersionError, ensure_index, migrate
from diplowire.wire.article import replace
from diplowire.wire.settings import ElasticsearchSettings
from tests.index.helpers import articles

V2_ONLY = ("organization_labels", "stage_ms")


def _old_index(es: Elasticsearch, prefix: str, n: int) -> list[str]:
    """The index as mapping v1 made it: without the fields v2 added, behind the alias."""
    props = {k: v for k, v in copy.deepcopy(PROPERTIES).items() if k not in V2_ONLY}
    body = template_body(prefix)["template"]
    body["mappings"]["properties"] = props
    old = index_name(prefix, 1)
    es.indices.create(
        index=old, settings=body["settings"], mappings=body["mappings"], aliases={prefix: {}}
    )
    arts = articles()[:n]
    arts[0] = replace(arts[0], version=3)
    ops: list[dict[str, object]] = []
    for art in arts:
        doc = {
            k: v for k, v in to_document(art, "2025-01-15T10:00:05Z").items() if k not in V2_ONLY
        }
        meta = {"_index": old, "_id": art.id, "version": art.version, "version_type": "external"}
        ops += [{"index": meta}, doc]
    resp = es.bulk(operations=ops, refresh=True)
    assert not resp["errors"]
    return [a.id for a in arts]


def test_migrate_copies_every_document_into_the_new_mapping_and_swaps_the_alias(
    es_settings: ElasticsearchSettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    es = Elasticsearch(es_settings.url)
    prefix = es_settings.index_prefix
    ids = _old_index(es, prefix, 60)
    old, new = index_name(prefix, 1), index_name(prefix, MAPPING_VERSION)

    with pytest.raises(IndexVersionError, match="index migrate"):
        ensure_index(es, prefix, auto_migrate=False)

    # An indexer that already wrote a newer version into the new index must keep it.
    es.indices.create(index=new)
    newer = replace(articles()[1], version=7, title="rewritten while migrating")
    es.index(
        index=new,
        id=newer.id,
        document=to_document(newer, "2025-01-16T00:00:00Z"),
        version=7,
        version_type="external",
    )

    monkeypatch.setenv("DIPLOWIRE_ELASTICSEARCH_URL", es_settings.url)
    monkeypatch.setenv("DIPLOWIRE_ELASTICSEARCH_INDEX_PREFIX", prefix)
    assert main(["index", "migrate"]) == 0
    out = capsys.readouterr().out
    assert f"alias {prefix} -> {new}" in out and "copied 59 documents" in out, out

    assert alias_indices(es, prefix) == {new: True}
    assert es.indices.exists(index=old)  # kept unless --delete-old
    es.indices.refresh(index=new)
    assert es.count(index=prefix)["count"] == len(ids)
    first = es.get(index=prefix, id=ids[0])
    assert first["_version"] == 3
    # Re-derived with today's code: the v2 fields exist now.
    assert "stage_ms" in first["_source"] and "organization_labels" in first["_source"]
    assert first["_source"]["timestamps"]["indexed"] == "2025-01-15T10:00:05Z"
    kept = es.get(index=prefix, id=newer.id)
    assert (kept["_version"], kept["_source"]["title"]) == (7, newer.title)

    # Idempotent, and --delete-old cleans up.
    again = migrate(es, prefix, delete_old=True)
    assert again.ok and again.sources == [] and again.copied == 0
    es.indices.update_aliases(actions=[{"add": {"index": old, "alias": prefix}}])
    final = migrate(es, prefix, delete_old=True)
    assert final.ok and final.deleted == [old] and final.stale == 1
    assert not es.indices.exists(index=old)
    assert es.count(index=prefix)["count"] == len(ids)
    es.close()


def test_indexer_startup_migrates_an_old_alias(es_settings: ElasticsearchSettings) -> None:
    es = Elasticsearch(es_settings.url)
    prefix = es_settings.index_prefix
    ids = _old_index(es, prefix, 10)
    assert ensure_index(es, prefix) == prefix
    assert alias_indices(es, prefix) == {index_name(prefix): True}
    es.indices.refresh(index=prefix)
    assert es.count(index=prefix)["count"] == len(ids)
    es.close()


def _index_ops(es: Elasticsearch, index: str) -> int:
    stats = es.indices.stats(index=index, metric="indexing")
    return int(stats["indices"][index]["primaries"]["indexing"]["index_total"])


def test_indexers_starting_together_copy_the_documents_once(
    es_settings: ElasticsearchSettings,
) -> None:
    es = Elasticsearch(es_settings.url)
    prefix = es_settings.index_prefix
    ids = _old_index(es, prefix, 200)
    start = threading.Barrier(3)

    def startup() -> str:
        client = Elasticsearch(es_settings.url)
        start.wait()
        try:
            return ensure_index(client, prefix)
        finally:
            client.close()

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: startup(), range(3)))
    assert results == [prefix] * 3
    new = index_name(prefix)
    assert alias_indices(es, prefix) == {new: True}
    es.indices.refresh(index=new)
    assert es.count(index=prefix)["count"] == len(ids)
    # One copy: without the lease each of the three would have written every document.
    assert _index_ops(es, new) == len(ids)
    assert not es.exists(index=lock_index(prefix), id=f"migrate:{prefix}")
    es.close()


def test_an_expired_migration_lease_is_taken_over(es_settings: ElasticsearchSettings) -> None:
    es = Elasticsearch(es_settings.url)
    prefix = es_settings.index_prefix
    ids = _old_index(es, prefix, 10)
    dead = Lease(es, lock_index(prefix), f"migrate:{prefix}", ttl_s=0.5)
    assert dead.acquire()  # an indexer that died before moving the alias
    assert not Lease(es, lock_index(prefix), f"migrate:{prefix}").acquire()
    time.sleep(0.6)
    assert ensure_index(es, prefix) == prefix
    assert alias_indices(es, prefix) == {index_name(prefix): True}
    es.indices.refresh(index=prefix)
    assert es.count(index=prefix)["count"] == len(ids)
    es.close()
