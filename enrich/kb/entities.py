"""Canonical entities: one language-neutral ``id`` and one display ``label`` per real-world person
and organisation, whatever language the article is in.

Ids:

- a KB person: the ``id`` column of ``persons.tsv`` (shared by the ``fr/`` and ``en/`` rows of
  one person: ``vladimir-putin`` for "Vladimir Poutine" and "Vladimir Putin");
- a KB organisation: its ``orgs.tsv`` id (``UN`` for "ONU", "Nations unies" and "UN");
- a foreign ministry: its KB id where ``orgs.tsv`` lists that state's (``US_DOS`` for "State
  Department" and for "the US foreign ministry" alike), else ``mfa:<sender>``;
- a diplomatic mission: ``mission:<sender>:<kind>`` and, where the text says where it is,
  ``:<host country code>`` or ``:<folded city>``; a central bank: ``o:<country>:central_bank``;
- anything else: a normalised key, ``p:<folded name>`` for persons, ``o:<country>:<folded name>``
  (``o::<folded name>`` without a country) for organisations.

Ids without a colon are KB ids. Labels: the English KB name where the English KB has the id (the
first language that has it otherwise); for missions, ministries and central banks a label built
from the English country names ("Embassy of France in Kinshasa"); else the name as found.

Also the folded name forms an entity is known by (its label, the names it was found under, every
KB name and alias in every language), so filters match "poutine", "Putin" or "vladimir putin"
alike. Nothing here needs spaCy: the indexer and ``diplowire search`` use it too.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache

from diplowire.enrich.kb import languages, load
from diplowire.wire.article import Organization, Person

LABEL_LANG = "en"
"""Labels come from this language's KB where it has the entity."""

_KIND_WORDS = {
    "embassy": "Embassy",
    "consulate": "Consulate",
    "permanent_mission": "Permanent Mission",
}
# English country names that take "the" after "of"/"in" ("Embassy of the United States").
_THE_PREFIXES = ("United ", "Czech Republic", "Dominican Republic", "Central African Republic")
_THE_NAMES = frozenset(
    {"Netherlands", "Philippines", "Bahamas", "Gambia", "Maldives", "Comoros", "Seychelles"}
)


# The indexer folds every name and mention of every document: names recur from one article to
# the next, so the folded forms are kept (bounded), and plain ASCII skips the Unicode work.
@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Comparison form across languages and keyboards: accents stripped, case folded,
    typographic apostrophes made straight, single spaces ("Sergueï" and "Serguei" are one)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.replace("’", "'").replace("‘", "'"))
        text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


@dataclass(frozen=True, slots=True)
class Canon:
    id: str
    label: str
    names: frozenset[str]
    """Folded KB names and aliases in every language."""


@dataclass(slots=True)
class Registry:
    persons: dict[str, Canon] = field(default_factory=dict)
    orgs: dict[str, Canon] = field(default_factory=dict)
    person_forms: dict[str, str] = field(default_factory=dict)
    """Folded multi-word KB name → person id (one-word aliases are too ambiguous to resolve)."""
    org_forms: dict[str, str] = field(default_factory=dict)
    """Folded KB name or alias → organisation id."""
    ministry_ids: dict[str, str] = field(default_factory=dict)
    """State → the KB id of its foreign ministry, where the KB lists it (``US_DOS``)."""
    mission_heads: list[tuple[str, str]] = field(default_factory=list)
    """(folded head noun, kind) of diplomatic missions in every language, longest first."""
    country_names: dict[str, str] = field(default_factory=dict)
    capitals: dict[str, str] = field(default_factory=dict)
    """Country code → its capital's name in ``LABEL_LANG``."""
    capital_codes: dict[str, str] = field(default_factory=dict)
    """Folded capital name in any language → country code."""


def _label_order() -> list[str]:
    langs = languages()
    return [LABEL_LANG, *(x for x in langs if x != LABEL_LANG)] if LABEL_LANG in langs else langs


@cache
def registry() -> Registry:
    """Every language's KB merged by id (built once per process, from the cached KBs)."""
    reg = Registry()
    person_names: dict[str, set[str]] = {}
    person_labels: dict[str, str] = {}
    org_names: dict[str, set[str]] = {}
    org_labels: dict[str, str] = {}
    heads: dict[str, str] = {}
    for lang in _label_order():
        kb = load(lang)
        for p in kb.persons:
            if not p.id:
                continue
            person_labels.setdefault(p.id, p.canonical)
            forms = {fold(f) for f in (p.canonical, *p.aliases)}
            person_names.setdefault(p.id, set()).update(forms)
            for f in forms:
                if " " in f:
                    reg.person_forms.setdefault(f, p.id)
        for o in kb.orgs:
            if o.type == "foreign_ministry" and o.country:
                reg.ministry_ids.setdefault(o.country, o.id)
            org_labels.setdefault(o.id, o.canonical)
            forms = {fold(f) for f in (o.canonical, *o.aliases)}
            org_names.setdefault(o.id, set()).update(forms)
            for f in forms:
                reg.org_forms.setdefault(f, o.id)
        for h in kb.org_heads:
            if h.type == "diplomatic_mission":
                heads.setdefault(fold(h.form), h.kind)
        for code, name in kb.country_names.items():
            reg.country_names.setdefault(code, name)
        for cf in kb.country_forms:
            if cf.kind == "capital":
                reg.capitals.setdefault(cf.code, cf.form)
                reg.capital_codes.setdefault(fold(cf.form), cf.code)
    reg.persons = {
        i: Canon(i, person_labels[i], frozenset(names)) for i, names in person_names.items()
    }
    reg.orgs = {i: Canon(i, org_labels[i], frozenset(names)) for i, names in org_names.items()}
    reg.mission_heads = sorted(heads.items(), key=lambda kv: -len(kv[0]))
    return reg


def country_label(code: str) -> str:
    """English name of a country for a label, with "the" where English needs it."""
    name = registry().country_names.get(code, code)
    if name.startswith(_THE_PREFIXES) or name in _THE_NAMES:
        return f"the {name}"
    return name


# --------------------------------------------------------------------------- persons


@lru_cache(maxsize=1 << 14)
def person_identity(name: str, kb_id: str | None = None) -> tuple[str, str]:
    """(id, label) of a person found under ``name`` (and matched to KB row ``kb_id``, if any)."""
    reg = registry()
    pid = kb_id or reg.person_forms.get(fold(name))
    if pid and pid in reg.persons:
        return pid, reg.persons[pid].label
    return f"p:{fold(name)}", name


def person_id_label(p: Person) -> tuple[str, str]:
    """The person's id and label; derived from its name for messages written before they existed."""
    if isinstance(p.id, str) and p.id and isinstance(p.label, str) and p.label:
        return p.id, p.label
    return person_identity(p.name)


def person_forms(p: Person, ident: tuple[str, str] | None = None) -> frozenset[str]:
    """Folded names ``p`` is known by: label, name, and its KB names in every language
    (``ident``: its :func:`person_id_label`, when the caller has it already). The mentions add
    nothing a filter needs: the name is their longest form, and filters match from any word."""
    pid, label = ident or person_id_label(p)
    return known_forms("p", pid, label, p.name)


# --------------------------------------------------------------------------- organisations


@lru_cache(maxsize=1 << 14)
def org_identity(
    *,
    name: str,
    type: str,
    country: str | None = None,
    kind: str | None = None,
    host: str | None = None,
    city: str | None = None,
    kb_id: str | None = None,
) -> tuple[str, str]:
    """(id, label) of an organisation; see the module docstring for the forms of ids."""
    reg = registry()
    oid = kb_id or reg.org_forms.get(fold(name))
    if type == "foreign_ministry" and country and country in reg.ministry_ids:
        # One id per ministry: "the US foreign ministry" is the State Department (US_DOS), or
        # Kibana shows two buckets for one body.
        oid = reg.ministry_ids[country]
    if oid and oid in reg.orgs:
        return oid, reg.orgs[oid].label
    if type == "foreign_ministry" and country:
        return f"mfa:{country}", f"Ministry of Foreign Affairs of {country_label(country)}"
    if type == "diplomatic_mission" and country:
        return _mission(name, country, kind or _mission_kind(name), host, city)
    if kind == "central_bank" and country:
        return f"o:{country}:central_bank", f"Central Bank of {country_label(country)}"
    return f"o:{country or ''}:{fold(name)}", name


def _mission_kind(name: str) -> str:
    low = fold(name)
    return next((kind for form, kind in registry().mission_heads if form in low), "embassy")


def _mission(
    name: str, sender: str, kind: str, host: str | None, city: str | None
) -> tuple[str, str]:
    reg = registry()
    if host is None and city:
        # A capital named without its country ("à Kinshasa") is in that country.
        host = reg.capital_codes.get(fold(city))
    if host == sender:
        host = None
    oid = f"mission:{sender}:{kind}"
    label = f"{_KIND_WORDS.get(kind, 'Mission')} of {country_label(sender)}"
    prep = "to" if kind == "permanent_mission" else "in"
    if host:
        oid += f":{host}"
        place = reg.capitals.get(host) if kind != "consulate" or city else None
        label += f" {prep} {place or country_label(host)}"
    elif city:
        oid += f":{fold(city)}"
        label += f" {prep} {city}"
    return oid, label


def org_id_label(o: Organization) -> tuple[str, str]:
    """The organisation's id and label; derived for messages written before they existed."""
    if isinstance(o.id, str) and o.id and isinstance(o.label, str) and o.label:
        return o.id, o.label
    return org_identity(name=o.name, type=o.type, country=o.country, city=o.city)


def org_forms(o: Organization, ident: tuple[str, str] | None = None) -> frozenset[str]:
    """Folded names ``o`` is known by: label, name, and its KB names in every language
    (``ident``: its :func:`org_id_label`, when the caller has it already)."""
    oid, label = ident or org_id_label(o)
    return known_forms("o", oid, label, o.name)


# Kept per entity and name: the same official recurs, named the same way, in many documents.
@lru_cache(maxsize=1 << 14)
def known_forms(kind: str, eid: str, label: str, name: str) -> frozenset[str]:
    """Folded ``label`` and ``name``, and for a KB entity (kind ``p`` or ``o``) its KB names."""
    reg = registry()
    canon = (reg.persons if kind == "p" else reg.orgs).get(eid)
    out = {fold(label), fold(name)}
    if canon is not None:
        out |= canon.names
    return frozenset(out)


def matches(wanted: str, entity_id: str, forms: Iterable[str]) -> bool:
    """A filter value selects an entity by its id (any case) or by words of any name form, from
    the start of a word on: "putin" and "vladimir put" find "vladimir putin", "un" finds "un"
    and "united nations" but not "fund" (a bare substring would, and KB aliases make many)."""
    key = fold(wanted)
    if not key:
        return False
    return key == fold(entity_id) or any(
        f.startswith(key) or f" {key}" in f or f"-{key}" in f for f in forms
    )
