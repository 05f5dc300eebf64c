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
from typing import Any

from diplowire.enrich.kb.entities import (
    fold,
    matches,
    org_forms,
    org_id_label,
    person_forms,
    person_id_label,
)
from diplowire.wire.article import Enrichment, Organization, Person

# Filter kinds → their document fields (ids, folded names).
FIELDS = {
    "persons": ("person_ids", "person_names"),
    "organizations": ("organization_ids", "organization_names"),
}


def entity_fields(persons: Sequence[Person], orgs: Sequence[Organization]) -> dict[str, list[str]]:
    """The entity fields of one Elasticsearch document (sorted lists, so documents compare)."""
    p_ids = [person_id_label(p) for p in persons]
    o_ids = [org_id_label(o) for o in orgs]
    missions = [
        ident for ident, o in zip(o_ids, orgs, strict=True) if o.type == "diplomatic_mission"
    ]
    return {
        "persons": sorted({label for _, label in p_ids}),
        "person_ids": sorted({pid for pid, _ in p_ids}),
        "person_names": sorted({f for p in persons for f in person_forms(p)}),
        "person_roles": sorted({p.role for p in persons if p.role}),
        "person_labels": sorted(
            {
                _with_details(label, p.role, p.country)
                for (_, label), p in zip(p_ids, persons, strict=True)
            }
        ),
        "organizations": sorted({label for _, label in o_ids}),
        "organization_ids": sorted({oid for oid, _ in o_ids}),
        "organization_names": sorted({f for o in orgs for f in org_forms(o)}),
        "organization_types": sorted({o.type for o in orgs}),
        "organization_labels": sorted(
            {f"{label} ({o.type})" for (_, label), o in zip(o_ids, orgs, strict=True)}
        ),
        "missions": sorted({label for _, label in missions}),
        "mission_ids": sorted({mid for mid, _ in missions}),
    }


def _with_details(name: str, role: str | None, country: str | None) -> str:
    extra = ", ".join(x for x in (role, country) if x)
    return f"{name} ({extra})" if extra else name


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
