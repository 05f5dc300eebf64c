"""The diplomatic knowledge base: plain data files per language, loaded once per process.

Layout (see README.md beside this file): ``<lang>/countries.generated.tsv`` (rebuilt by
``scripts/build_kb.py`` from CLDR and ISO 3166), and curated ``countries.tsv``, ``demonyms.tsv``,
``capitals.tsv``, ``orgs.tsv``, ``org_heads.tsv``, ``roles.tsv``, ``persons.tsv``, ``topics.tsv``
and ``lexicon.json``. Adding a language is adding such a folder; no code knows a language.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

KB_DIR = Path(__file__).parent

TOPICS: tuple[str, ...] = (
    "talks_negotiations",
    "diplomatic_missions",
    "visas_travel",
    "expulsions",
    "sanctions",
    "treaties_agreements",
    "summits_visits",
    "un_multilateral",
    "conflict_ceasefire",
    "trade_economic",
    "finance_banking",
    "property_assets",
    "aviation_flights",
    "human_rights",
)


@dataclass(frozen=True, slots=True)
class OrgEntry:
    id: str
    type: str
    country: str | None
    topics: tuple[str, ...]
    canonical: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OrgHead:
    form: str
    type: str
    kind: str
    plural: bool


@dataclass(frozen=True, slots=True)
class RoleEntry:
    form: str
    role: str
    default_country: str | None


@dataclass(frozen=True, slots=True)
class PersonEntry:
    canonical: str
    aliases: tuple[str, ...]
    role: str | None
    country: str | None
    # Terms of office: (start, end, role); ISO dates, end exclusive, "" = open.
    terms: tuple[tuple[str, str, str | None], ...] = ()
    id: str = ""
    """Language-neutral id, shared by the rows of one person in every language's persons.tsv."""

    def role_on(self, day: str | None) -> str | None:
        """The KB role on an ISO date (``YYYY-MM-DD``); without a date or terms, ``role``."""
        if day is None or not self.terms:
            return self.role
        for start, end, role in self.terms:
            if (not start or start <= day) and (not end or day < end):
                return role or self.role
        return None


@dataclass(frozen=True, slots=True)
class TopicTerm:
    topic: str
    weight: float
    forms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CountryForm:
    code: str
    form: str
    kind: str
    """name | demonym | capital | seat"""


@dataclass(slots=True)
class KnowledgeBase:
    lang: str
    country_forms: list[CountryForm] = field(default_factory=list)
    country_names: dict[str, str] = field(default_factory=dict)
    """Display name of each code in this language (CLDR)."""
    orgs: list[OrgEntry] = field(default_factory=list)
    org_heads: list[OrgHead] = field(default_factory=list)
    roles: list[RoleEntry] = field(default_factory=list)
    persons: list[PersonEntry] = field(default_factory=list)
    topic_terms: list[TopicTerm] = field(default_factory=list)
    lexicon: dict[str, list[str]] = field(default_factory=dict)
    org_alias_index: dict[str, str] = field(default_factory=dict)
    """Normalised alias → org id, for canonicalising names (evaluation, dedup)."""
    orgs_by_id: dict[str, OrgEntry] = field(default_factory=dict)

    def words(self, key: str) -> frozenset[str]:
        return frozenset(w.lower() for w in self.lexicon.get(key, []))


def norm(text: str) -> str:
    """Comparison form: NFC, typographic apostrophes folded, lower case, single spaces."""
    text = unicodedata.normalize("NFC", text).replace("’", "'").replace("‘", "'")
    return " ".join(text.lower().split())


def apostrophe_variants(form: str) -> list[str]:
    # Feeds mix ' and ’; the matcher compares exact token text, so ship both spellings.
    out = [form]
    if "'" in form:
        out.append(form.replace("'", "’"))
    if "’" in form:
        out.append(form.replace("’", "'"))
    return out


_WORD_START = re.compile(r"(?:^|(?<=[\s'’-]))(\w)")


def initials_unaccented(form: str) -> str:
    """``form`` with the first letter of each word stripped of its accent: French typesetting
    often drops accents on capitals ("Communauté Economique des Etats de l'Afrique de l'Ouest",
    "Etats-Unis", "Egypte"), and a word written capitalised in the text may be lower case in the
    KB ("économique"), so the variant folds that letter whatever its case."""

    def fold(m: re.Match[str]) -> str:
        base = unicodedata.normalize("NFD", m.group(1))
        return "".join(c for c in base if not unicodedata.combining(c))

    return _WORD_START.sub(fold, form)


def _rows(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        rows.append(line.split("\t"))
    return rows


def _col(row: list[str], i: int) -> str:
    return row[i].strip() if i < len(row) else ""


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split("|") if v.strip())


def _terms(value: str) -> tuple[tuple[str, str, str | None], ...]:
    """'2017-01-20..2021-01-20|2008-05-08..2012-05-07=head_of_government' → (start, end, role)."""
    out = []
    for part in _split(value):
        span, _, role = part.partition("=")
        start, _, end = span.partition("..")
        out.append((start.strip(), end.strip(), role.strip() or None))
    return tuple(out)


def languages() -> list[str]:
    return sorted(p.name for p in KB_DIR.iterdir() if (p / "lexicon.json").exists())


@cache
def load(lang: str) -> KnowledgeBase:
    base = KB_DIR / lang
    kb = KnowledgeBase(lang=lang)
    if not (base / "lexicon.json").exists():
        return kb
    seen: set[tuple[str, str, str]] = set()

    def add_country(code: str, form: str, kind: str) -> None:
        # Generated ISO names sometimes carry a leading article ("the State of Palestine").
        for prefix in ("the ", "L'", "l'"):
            if form.startswith(prefix) and kind == "name":
                form = form[len(prefix) :]
        key = (code, form, kind)
        if form and key not in seen:
            seen.add(key)
            kb.country_forms.append(CountryForm(code, form, kind))

    for row in _rows(base / "countries.generated.tsv"):
        code, form, source = _col(row, 0), _col(row, 1), _col(row, 2)
        add_country(code, form, "name")
        if source.startswith("cldr") and code not in kb.country_names:
            kb.country_names[code] = form
    for row in _rows(base / "countries.tsv"):
        add_country(_col(row, 0), _col(row, 1), "name")
    for row in _rows(base / "demonyms.tsv"):
        for form in _split(_col(row, 1)):
            add_country(_col(row, 0), form, "demonym")
    for row in _rows(base / "capitals.tsv"):
        add_country(_col(row, 0), _col(row, 1), _col(row, 2) or "capital")
    for row in _rows(base / "orgs.tsv"):
        entry = OrgEntry(
            id=_col(row, 0),
            type=_col(row, 1),
            country=_col(row, 2) or None,
            topics=tuple(t for t in _col(row, 3).split(",") if t),
            canonical=_col(row, 4),
            aliases=_split(_col(row, 5)),
        )
        kb.orgs.append(entry)
        kb.orgs_by_id[entry.id] = entry
        for form in (entry.canonical, *entry.aliases):
            kb.org_alias_index.setdefault(norm(form), entry.id)
    for row in _rows(base / "org_heads.tsv"):
        kb.org_heads.append(OrgHead(_col(row, 0), _col(row, 1), _col(row, 2), _col(row, 3) == "pl"))
    for row in _rows(base / "roles.tsv"):
        kb.roles.append(RoleEntry(_col(row, 0), _col(row, 1), _col(row, 2) or None))
    for row in _rows(base / "persons.tsv"):
        kb.persons.append(
            PersonEntry(
                canonical=_col(row, 0),
                aliases=_split(_col(row, 1)),
                role=_col(row, 2) or None,
                country=_col(row, 3) or None,
                terms=_terms(_col(row, 4)),
                id=_col(row, 5),
            )
        )
    for row in _rows(base / "topics.tsv"):
        topic = _col(row, 0)
        if topic not in TOPICS:
            raise ValueError(f"{base / 'topics.tsv'}: unknown topic {topic!r}")
        kb.topic_terms.append(TopicTerm(topic, float(_col(row, 1)), _split(_col(row, 2))))
    kb.lexicon = {
        k: v
        for k, v in json.loads((base / "lexicon.json").read_text(encoding="utf-8")).items()
        if isinstance(v, list)
    }
    return kb


@cache
def lexicon_words(lang: str, key: str) -> frozenset[str]:
    """``load(lang).words(key)``, built once: the rules look words up per token."""
    return load(lang).words(key)
