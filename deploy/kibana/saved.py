"""What every saved object of the Diplomatic desk shares: the envelope, the versions, stable ids.

A module of ``build.py`` (see its docstring for the Kibana sources); standard library only.
"""

from __future__ import annotations

import uuid
from typing import Any

DATA_VIEW = "diplowire-articles"
"""Id of the data view and its default title (the alias; ``kibana import`` follows the prefix)."""
INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index"
CORE_VERSION = "8.8.0"
TYPE_VERSION = {
    "index-pattern": "8.0.0",
    "search": "10.2.0",
    "lens": "8.9.0",
    "dashboard": "10.2.0",
}
RECORDS = "___records___"
"""Lens's pseudo-field of a document count."""
_NS = uuid.UUID("5b0b3a0e-6f8e-4a57-9d55-2f2b8f6f1c11")


def uid(*parts: str) -> str:
    """A UUID like those Kibana writes, but stable across runs (the file is compared in a test)."""
    return str(uuid.uuid5(_NS, "/".join(parts)))


def saved_object(
    kind: str, oid: str, attributes: dict[str, Any], refs: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "attributes": attributes,
        "coreMigrationVersion": CORE_VERSION,
        "id": oid,
        "managed": False,
        "references": refs,
        "type": kind,
        "typeMigrationVersion": TYPE_VERSION[kind],
    }
