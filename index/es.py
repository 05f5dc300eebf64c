"""Elasticsearch setup: index template, first index and the alias every reader and writer uses."""

from __future__ import annotations

import logging

from elasticsearch import Elasticsearch

from index.mapping import MAPPING_VERSION, template_body
from wire.settings import ElasticsearchSettings

log = logging.getLogger(__name__)


def client(settings: ElasticsearchSettings) -> Elasticsearch:
    return Elasticsearch(**settings.client_kwargs())


def alias_name(prefix: str) -> str:
    return prefix


def index_name(prefix: str, version: int = MAPPING_VERSION) -> str:
    return f"{prefix}-v{version}"


def ensure_index(es: Elasticsearch, prefix: str, *, replicas: int = 0) -> str:
    """Create the template, the current index and the alias if missing; return the alias."""
    es.indices.put_index_template(
        name=f"{prefix}-template", **template_body(prefix, replicas=replicas)
    )
    alias = alias_name(prefix)
    if not es.indices.exists_alias(name=alias):
        name = index_name(prefix)
        if not es.indices.exists(index=name):
            es.indices.create(index=name, aliases={alias: {"is_write_index": True}})
            log.info("created index %s behind alias %s", name, alias)
        else:
            es.indices.put_alias(index=name, name=alias, is_write_index=True)
    return alias
