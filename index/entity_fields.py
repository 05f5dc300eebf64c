"""Persons, organisations and missions in the index and in filters, by canonical entity.

Each kind has three document fields: ``<kind>`` (the display labels, one per id: the facet
Kibana shows; its ``.lc`` subfield holds them lower-cased for case-insensitive KQL),
``<kind>_ids`` (language-neutral ids) and ``<kind>_names`` (every name form the entity is known
by, folded: no accents, lower case; see :mod:`diplowire.enrich.kb.entities`). ``search --person``
and ``subscribe --person`` select an article when a value is an entity's id (any case) or the
start of a word of any of its folded name forms onwards, so "putin", "Poutine" and "vladimir
putin" find French and English articles alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from diplowire.enrich.kb.entities import (
    fold,
    known_forms,
    matches,
    org_forms,
    org_id_label,
    org_identity,
    person_forms,
    person_id_label,
    person_identity,
)
from diplowire.wire.article import Enrichment, Organization, Person

# Filter kinds → their document fields (ids, folded names).
FIELDS = {
    "persons": ("person_ids", "person_names"),
    "organizations": ("organization_ids", "organization_names"),
}


_KEYS = (
    "persons",
    "person_ids",
    "person_names",
    "person_roles",
    "person_labels",
    "organizations",
    "organization_ids",
    "organization_names",
    "organization_types",
    "organization_labels",
    "missions",
    "mission_ids",
)


def entity_fields(persons: Sequence[Person], orgs: Sequence[Organization]) -> dict[str, list[str]]:
    """The entity fields of one Elasticsearch document (sorted lists, so documents compare)."""
    if not persons and not orgs:
        return {k: [] for k in _KEYS}  # about half the articles: no work at all
    ps = [_person(p.name, p.id, p.label, p.role, p.country) for p in persons]
    os_ = [_org(o.name, o.type, o.id, o.label, o.country, o.city) for o in orgs]
    missions = [o for o in os_ if o[4]]
    return {
        "persons": sorted({p[1] for p in ps}),
        "person_ids": sorted({p[0] for p in ps}),
        "person_names": sorted({f for p in ps for f in p[2]}),
        "person_roles": sorted({p.role for p in persons if p.role}),
        "person_labels": sorted({p[3] for p in ps}),
        "organizations": sorted({o[1] for o in os_}),
        "organization_ids": sorted({o[0] for o in os_}),
        "organization_names": sorted({f for o in os_ for f in o[2]}),
        "organization_types": sorted({o.type for o in orgs}),
        "organization_labels": sorted({o[3] for o in os_}),
        "missions": sorted({o[1] for o in missions}),
        "mission_ids": sorted({o[0] for o in missions}),
    }


# Per entity as written in a message, kept (bounded): the indexer meets the same officials and
# organisations, named the same way, in document after document.
@lru_cache(maxsize=1 << 14)
def _person(
    name: str, pid: object, label: object, role: str | None, country: str | None
) -> tuple[str, str, frozenset[str], str]:
    """(id, label, folded name forms, "label (role, country)")."""
    if isinstance(pid, str) and pid and isinstance(label, str) and label:
        ident = (pid, label)
    else:
        ident = person_identity(name)
    extra = ", ".join(x for x in (role, country) if x)
    shown = f"{ident[1]} ({extra})" if extra else ident[1]
    return ident[0], ident[1], known_forms("p", ident[0], ident[1], name), shown


@lru_cache(maxsize=1 << 14)
def _org(
    name: str, type: str, oid: object, label: object, country: str | None, city: str | None
) -> tuple[str, str, frozenset[str], str, bool]:
    """(id, label, folded name forms, "label (type)", whether it is a diplomatic mission)."""
    if isinstance(oid, str) and oid and isinstance(label, str) and label:
        ident = (oid, label)
    else:
        ident = org_identity(name=name, type=type, country=country, city=city)
    forms = known_forms("o", ident[0], ident[1], name)
    return ident[0], ident[1], forms, f"{ident[1]} ({type})", type == "diplomatic_mission"


def es_clause(kind: str, value: str) -> dict[str, Any]:
    """Elasticsearch clause for one ``--person``/``--org`` value (see the module docstring)."""
    ids, names = FIELDS[kind]
    key = fold(value)
    escaped = re.sub(r"([*?\\])", r"\\\1", key)
    # From the start of a word on, as enrich.kb.entities.matches: the name's start, or after a
    # space or a hyphen.
    words = [f"{escaped}*", f"* {escaped}*", f"*-{escaped}*"]
    return {
        "bool": {
            "should": [
                {"term": {ids: {"value": key, "case_insensitive": True}}},
                *({"wildcard": {names: {"value": w}}} for w in words),
            ],
            "minimum_should_match": 1,
        }
    }


def article_matches(kind: str, wanted: Iterable[str], enr: Enrichment) -> bool:
    """The same selection as :func:`es_clause` on an article read from Kafka (``subscribe``)."""
    values = list(wanted)
    if kind == "persons":
        found = [(person_id_label(p)[0], person_forms(p)) for p in enr.persons]
    else:
        found = [(org_id_label(o)[0], org_forms(o)) for o in enr.organizations]
    return any(matches(w, eid, forms) for w in values for eid, forms in found)
