"""The index layout (index/layout.py) on real Elasticsearch: versioned indices behind one alias,
created from the template by ``ensure_index``, whatever state a previous start left them in."""

from __future__ import annotations

import logging

import pytest
from elasticsearch import Elasticsearch

from diplowire.index.layout import (
    alias_indices,
    alias_is_current,
    create_index,
    index_name,
    index_version,
    template_name,
    write_index,
)
from diplowire.index.mapping import MAPPING_VERSION
from diplowire.index.migrate import ensure_index
from diplowire.wire.settings import ElasticsearchSettings


def test_index_names_carry_their_mapping_version() -> None:
    assert index_version(index_name("news", 7)) == 7
    assert index_version(index_name("news-v2")) == MAPPING_VERSION  # a prefix may end in -vN
    assert index_version("news") is None
    assert index_version("news-v") is None


def test_ensure_index_creates_template_index_and_alias_once(
    es_settings: ElasticsearchSettings,
) -> None:
    es = Elasticsearch(es_settings.url)
    prefix = es_settings.index_prefix
    assert write_index(es, prefix) is None and not alias_is_current(es, prefix)
    assert ensure_index(es, prefix) == prefix
    assert es.indices.exists_index_template(name=template_name(prefix))
    assert alias_indices(es, prefix) == {index_name(prefix): True}
    assert alias_is_current(es, prefix)
    # A second start finds everything in place and changes nothing.
    before = es.indices.get_settings(index=index_name(prefix))
    assert ensure_index(es, prefix) == prefix
    assert alias_indices(es, prefix) == {index_name(prefix): True}
    assert es.indices.get_settings(index=index_name(prefix)) == before  # not re-created
    es.close()


def test_an_index_created_by_a_concurrent_start_gets_the_alias(
    es_settings: ElasticsearchSettings,
) -> None:
    """The other process won the race to create the index but has not added the alias yet."""
    es = Elasticsearch(es_settings.url)
    prefix = es_settings.index_prefix
    assert create_index(es, index_name(prefix))
    assert not create_index(es, index_name(prefix))  # losing the race is not an error
    assert alias_indices(es, prefix) == {}
    assert ensure_index(es, prefix) == prefix
    assert alias_indices(es, prefix) == {index_name(prefix): True}
    es.indices.refresh(index=prefix)
    assert es.count(index=prefix)["count"] == 0
    es.close()


def test_an_alias_on_a_newer_mapping_is_left_as_it_is(
    es_settings: ElasticsearchSettings, caplog: pytest.LogCaptureFixture
) -> None:
    """Rolling back the indexer must not migrate the index back to an older mapping."""
    es = Elasticsearch(es_settings.url)
    prefix = es_settings.index_prefix
    newer = index_name(prefix, MAPPING_VERSION + 1)
    es.indices.create(index=newer, aliases={prefix: {"is_write_index": True}})
    with caplog.at_level(logging.WARNING, logger="diplowire.index.migrate"):
        assert ensure_index(es, prefix) == prefix
    assert alias_indices(es, prefix) == {newer: True}
    assert not es.indices.exists(index=index_name(prefix))
    assert f"newer than this code's mapping v{MAPPING_VERSION}" in caplog.text
    es.close()
