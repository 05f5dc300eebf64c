"""The values a filter can match, so that a filter that can never match is an error, not 0 hits.

Countries and dyads are ISO 3166-1 alpha-2 codes (plus XK, Kosovo), as the enricher writes them;
topics are the taxonomy's names (:data:`diplowire.enrich.kb.TOPICS`). Both come from the
knowledge base's plain files, so checking a filter loads neither spaCy nor any model.

A country *name* is not taken for a code (``--country Russia``): the error suggests the code
(``RU``), so that what the command searched for is always what was typed.
"""

from __future__ import annotations

from functools import cache

from diplowire.enrich.kb import KB_DIR, TOPICS, languages, norm
from diplowire.errors import closest


@cache
def country_names() -> dict[str, str]:
    """Every code the enricher can write, with its English name."""
    names: dict[str, str] = {}
    for line in (KB_DIR / "en" / "countries.generated.tsv").read_text("utf-8").splitlines():
        cols = line.split("\t")
        if line.startswith("#") or len(cols) < 2:
            continue
        names.setdefault(cols[0].strip(), cols[1].strip())
    return names


@cache
def _country_forms() -> dict[str, str]:
    """A country's names in every language of the knowledge base (normalised) -> its code."""
    forms: dict[str, str] = {}
    for lang in languages():
        for name in ("countries.generated.tsv", "countries.tsv"):
            path = KB_DIR / lang / name
            if not path.exists():
                continue
            for line in path.read_text("utf-8").splitlines():
                cols = line.split("\t")
                if line.startswith("#") or len(cols) < 2:
                    continue
                forms.setdefault(norm(cols[1]), cols[0].strip())
    return forms


def country_code(value: str) -> str:
    """``value`` as a known country code (case folded); :class:`FilterError` with the closest
    code otherwise."""
    from diplowire.index.query import FilterError

    code = value.strip().upper()
    names = country_names()
    if code in names:
        return code
    guess = _country_guess(value)
    hint = f"did you mean {guess} ({names[guess]})?" if guess else "such as RU, US or FR"
    raise FilterError(
        f"unknown country code {value.strip()!r}: use ISO 3166-1 alpha-2 codes, {hint}"
    )


def _country_guess(value: str) -> str | None:
    forms = _country_forms()
    key = norm(value)
    if key in forms:
        return forms[key]
    near = closest(key, forms)
    return forms[near] if near else None


def topic_name(value: str) -> str:
    """``value`` as a topic of the taxonomy; :class:`FilterError` with the closest otherwise."""
    from diplowire.index.query import FilterError

    name = value.strip().lower()
    if name in TOPICS:
        return name
    # A word of a topic ("talks", "visas") is the likeliest slip; then spelling.
    parts = [t for t in TOPICS if name and name.replace("-", "_") in t]
    guess = parts[0] if len(parts) == 1 else closest(name, TOPICS, cutoff=0.5)
    hint = f"did you mean {guess}?" if guess else "see `diplowire search --help`"
    raise FilterError(f"unknown topic {value.strip()!r}: {hint}")


def topics_help() -> str:
    return ", ".join(TOPICS)
