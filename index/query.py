"""One filter language for ``diplowire search`` (an Elasticsearch query) and ``diplowire subscribe``
(a predicate on articles read from Kafka), so both commands select the same articles.

Semantics, shared by both: values of one filter are alternatives (``--country RU --country UA``
is RU or UA); different filters must all hold. Countries, dyads, topics and languages match
exactly (normalised case); sources match a case-insensitive substring of the name; persons and
organisations match by canonical entity: an id (any case) or words of any name form from the
start of a word, accents and case aside ("guterres" finds "António Guterres", "poutine" and
"putin" the same person in French and English articles; see ``index/entity_fields.py``). Free
text matches when every word is in the title or body, or every lemma of it is in the article's
lemmas, or (Arabic, Han) every word of it in the article's folded text; a run of Han characters
must appear as written, its characters together (``index/textquery.py``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Only annotations name it: the command line parser imports this module (msgspec stays out).
    from diplowire.wire.article import Article

log = logging.getLogger(__name__)

_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class FilterError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Filters:
    text: str = ""
    countries: tuple[str, ...] = ()
    dyads: tuple[str, ...] = ()
    persons: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    since: str | None = None
    """ISO 8601 UTC, inclusive, on the published time."""
    until: str | None = None
    """ISO 8601 UTC, exclusive."""
    lemma_variants: tuple[str, ...] = field(default=(), compare=False)
    """The free text lemmatised per language (see :func:`lemmatize`); filled by the commands."""

    @classmethod
    def build(
        cls,
        *,
        text: str = "",
        countries: Iterable[str] = (),
        dyads: Iterable[str] = (),
        persons: Iterable[str] = (),
        organizations: Iterable[str] = (),
        topics: Iterable[str] = (),
        langs: Iterable[str] = (),
        sources: Iterable[str] = (),
        since: str | None = None,
        until: str | None = None,
        now: datetime | None = None,
    ) -> Filters:
        """Normalised filters from user input (raises :class:`FilterError` on bad values)."""
        from diplowire.index import vocab

        return cls(
            text=text.strip(),
            # Checked against ISO 3166 and the taxonomy (index/vocab.py): a value that can never
            # match is an error with the closest valid one, not a silent 0 hits.
            countries=tuple(vocab.country_code(c) for c in countries if c.strip()),
            dyads=tuple(normalize_dyad(d) for d in dyads if d.strip()),
            persons=_clean(persons),
            organizations=_clean(organizations),
            topics=tuple(vocab.topic_name(t) for t in topics if t.strip()),
            langs=tuple(x.strip().lower() for x in langs if x.strip()),
            sources=_clean(sources),
            since=parse_time(since, now) if since else None,
            until=parse_time(until, now) if until else None,
        )

    def with_lemmas(self, variants: Sequence[str]) -> Filters:
        return Filters(
            **{f: getattr(self, f) for f in self.__dataclass_fields__ if f != "lemma_variants"},
            lemma_variants=tuple(v for v in dict.fromkeys(variants) if v),
        )

    def describe(self) -> str:
        parts = [f"text={self.text!r}"] if self.text else []
        for name in (
            "countries",
            "dyads",
            "persons",
            "organizations",
            "topics",
            "langs",
            "sources",
        ):
            values = getattr(self, name)
            if values:
                parts.append(f"{name}={'|'.join(values)}")
        if self.since or self.until:
            parts.append(f"published in [{self.since or '…'}, {self.until or '…'})")
        return ", ".join(parts) or "everything"


def _clean(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(v.strip() for v in values if v.strip())


def normalize_dyad(value: str) -> str:
    """``us-ru``, ``RU/US`` and ``RU-US`` are one dyad: the enricher sorts the pair."""
    from diplowire.index import vocab

    codes = [c for c in re.split(r"[-/,:\s]+", value.strip().upper()) if c]
    if len(codes) != 2 or not all(re.fullmatch(r"[A-Z]{2}", c) for c in codes):
        raise FilterError(f"a dyad is two country codes such as RU-US, not {value!r}")
    return "-".join(sorted(vocab.country_code(c) for c in codes))


def parse_time(value: str, now: datetime | None = None) -> str:
    """ISO 8601 (date or date-time; UTC if no zone) or relative to now: ``90m``, ``24h``, ``7d``."""
    now = now or datetime.now(UTC)
    text = value.strip()
    m = _RELATIVE.match(text.lower())
    if m:
        when = now - timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    else:
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise FilterError(
                f"cannot read {value!r} as a time: use ISO 8601 (2025-01-31, "
                "2025-01-31T08:00:00Z) or a duration ago (90m, 24h, 7d)"
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --------------------------------------------------------------------------- lemmas


def lemmatize(text: str, langs: Sequence[str] | None = None) -> list[str]:
    """The query's lemma variants, one per language: :func:`diplowire.enrich.lemmatize.lemmatize`,
    the enricher's public API for it, so that a query's lemmas are the index's. ``langs``: the
    ``--lang`` filter's languages (only their variants can match), else every language."""
    if not text.strip():
        return []
    # The lemma tables answer most queries in milliseconds; spaCy and the models load only for
    # a query they cannot answer (enrich/lemma_table.py).
    from diplowire.enrich.lemmatize import lemmatize as enrich_lemmatize

    return enrich_lemmatize(text, langs)


# --------------------------------------------------------------------------- Elasticsearch


def _any_of(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    return (
        clauses[0]
        if len(clauses) == 1
        else {"bool": {"should": clauses, "minimum_should_match": 1}}
    )


def _contains(field_name: str, value: str) -> dict[str, Any]:
    escaped = re.sub(r"([*?\\])", r"\\\1", value)
    return {"wildcard": {field_name: {"value": f"*{escaped}*", "case_insensitive": True}}}


def es_query(f: Filters) -> dict[str, Any]:
    """The Elasticsearch query for ``f``: free text scores, everything else filters."""
    must: list[dict[str, Any]] = []
    if f.text:
        # Forms, lemmas and (Arabic, Han) folded forms; Han runs as phrases (index/textquery.py).
        from diplowire.index.textquery import clauses

        must.append(_any_of(clauses(f.text, f.lemma_variants)))
    flt: list[dict[str, Any]] = []
    for name, values in (
        ("countries", f.countries),
        ("dyads", f.dyads),
        ("topics", f.topics),
        ("lang", f.langs),
    ):
        if values:
            flt.append({"terms": {name: list(values)}})
    if f.persons or f.organizations:
        from diplowire.index.entity_fields import es_clause

        for kind, values in (("persons", f.persons), ("organizations", f.organizations)):
            if values:
                flt.append(_any_of([es_clause(kind, v) for v in values]))
    if f.sources:
        flt.append(_any_of([_contains("source.name", v) for v in f.sources]))
    if f.since or f.until:
        rng: dict[str, str] = {}
        if f.since:
            rng["gte"] = f.since
        if f.until:
            rng["lt"] = f.until
        flt.append({"range": {"published": rng}})
    if not must and not flt:
        return {"match_all": {}}
    return {"bool": {"must": must, "filter": flt}}


# --------------------------------------------------------------------------- articles


def _instant(iso: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def matches(f: Filters, article: Article) -> bool:
    """Whether ``article`` (enriched) is selected by ``f``: the same rules as :func:`es_query`."""
    enr = article.enrichment
    if enr is None:
        return False
    if f.countries and not {c.code for c in enr.countries} & set(f.countries):
        return False
    if f.dyads and not set(enr.dyads) & set(f.dyads):
        return False
    if f.topics and not {t.name for t in enr.topics} & set(f.topics):
        return False
    if f.langs and enr.lang not in f.langs:
        return False
    if f.persons or f.organizations:
        from diplowire.index.entity_fields import article_matches

        for kind, wanted in (("persons", f.persons), ("organizations", f.organizations)):
            if wanted and not article_matches(kind, wanted, enr):
                return False
    if f.sources and not any(w.casefold() in article.source.name.casefold() for w in f.sources):
        return False
    if f.since or f.until:
        published = _instant(article.published)
        if published is None:
            return False
        if f.since and published < _instant(f.since):  # type: ignore[operator]
            return False
        if f.until and published >= _instant(f.until):  # type: ignore[operator]
            return False
    if f.text:
        from diplowire.index.textquery import text_matches

        if not text_matches(f.text, f.lemma_variants, article.body(), enr.lemmas):
            return False
    return True
