"""A mapping change is a new index plus an alias swap: ``diplowire index migrate`` on real ES."""

from __future__ import annotations

import pytest
from elasticsearch import Elasticsearch

from diplowire.cli import main
from diplowire.index.docs import to_document
from diplowire.index.layout import alias_indices, index_name
from diplowire.index.mapping import MAPPING_VERSION
from diplowire.index.migrate import IndexVersionError, ensure_index, migrate
from diplowire.wire.article import replace
from diplowire.wire.settings import ElasticsearchSettings
from tests.index.helpers import articles, old_index


def test_migrate_copies_every_document_into_the_new_mapping_and_swaps_the_alias(
    es_settings: ElasticsearchSettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    es = Elasticsearch(es_settings.url)
    prefix = es_settings.index_prefix
    ids = old_index(es, prefix, 60)
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
    ids = old_index(es, prefix, 10)
    assert ensure_index(es, prefix) == prefix
    assert alias_indices(es, prefix) == {index_name(prefix): True}
    es.indices.refresh(index=prefix)
    assert es.count(index=prefix)["count"] == len(ids)
    es.close()
