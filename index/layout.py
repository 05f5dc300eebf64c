"""Elasticsearch layout: versioned indices behind one alias.

Every reader and writer goes through the alias ``{prefix}``. Each mapping version has its own
index ``{prefix}-v{N}`` created from the template; a mapping change is a new index, a copy of the
documents and an alias swap (:func:`diplowire.index.migrate.migrate`), never an in-place mapping
edit.
"""

from __future__ import annotations

import re
from typing import Any

from elasticsearch import ApiError, Elasticsearch

from diplowire.index.mapping import MAPPING_VERSION, template_body
from diplowire.wire.settings import ElasticsearchSettings


def client(settings: ElasticsearchSettings) -> Elasticsearch:
    return Elasticsearch(**settings.client_kwargs())


def alias_name(prefix: str) -> str:
    return prefix


def index_name(prefix: str, version: int = MAPPING_VERSION) -> str:
    return f"{prefix}-v{version}"


def template_name(prefix: str) -> str:
    return f"{prefix}-template"


def index_version(name: str) -> int | None:
    m = re.search(r"-v(\d+)$", name)
    return int(m.group(1)) if m else None


def alias_indices(es: Elasticsearch, alias: str) -> dict[str, bool]:
    """Indices behind ``alias`` and whether each is the write index."""
    if not es.indices.exists_alias(name=alias):
        return {}
    resp = es.indices.get_alias(name=alias)
    out: dict[str, bool] = {}
    for index, body in resp.items():
        spec = body.get("aliases", {}).get(alias, {})
        out[index] = bool(spec.get("is_write_index", len(resp) == 1))
    return out


def write_index(es: Elasticsearch, alias: str) -> str | None:
    return next((i for i, w in alias_indices(es, alias).items() if w), None)


def alias_is_current(es: Elasticsearch, alias: str) -> bool:
    """The alias writes to an index of this code's mapping version (or a newer one)."""
    return (index_version(write_index(es, alias) or "") or 0) >= MAPPING_VERSION


def put_template(es: Elasticsearch, prefix: str, replicas: int = 0) -> None:
    """(Re)write the index template, so that every new ``{prefix}-v{N}`` gets today's mapping."""
    es.indices.put_index_template(
        name=template_name(prefix), **template_body(prefix, replicas=replicas)
    )


def create_index(es: Elasticsearch, index: str, **body: Any) -> bool:
    """Create ``index``; False if it already exists.

    Processes starting together (indexers, ``index migrate`` run by hand) race to create the same
    index: losing that race is not an error, the index is there.
    """
    try:
        es.indices.create(index=index, **body)
    except ApiError as exc:
        if exc.error != "resource_already_exists_exception":
            raise
        return False
    return True
