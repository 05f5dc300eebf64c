"""Elasticsearch layout: versioned indices behind one alias.

Every reader and writer goes through the alias ``{prefix}``. Each mapping version has its own
index ``{prefix}-v{N}`` created from the template; a mapping change is a new index, a copy of the
documents and an alias swap (:func:`diplowire.index.migrate.migrate`), never an in-place mapping
edit.
"""

from __future__ import annotations

import re

from elasticsearch import Elasticsearch

from diplowire.index.mapping import MAPPING_VERSION
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
