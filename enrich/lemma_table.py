"""Query lemmas from a lookup table, without spaCy: what makes a lemma-aware search start fast.

Loading the models costs seconds (importing spaCy, the French tokenizer exceptions' huge regular
expression, the lemmatizer tables) for a query of a few words. So the words of the models'
vocabularies are lemmatised once, at build time, by exactly the query side's pipeline
(:func:`diplowire.enrich.lemmatize.lemmatize_with_models`, one word at a time), and stored in
``lemmas-<lang>.tsv`` beside this module (``scripts/build_lemma_table.py`` rebuilds them).

A query is looked up word by word (split on white space), in the case it was typed: the tagger
reads case ("Paris" is a name, "paris" French for bets), so the tables hold each word in lower
case, capitalised, and in capitals when it is short enough to be an acronym. When a word is not
in a table (or in another mix of cases), is not made of letters only, or a table does not match
the installed model and spaCy versions, the caller falls back to the models: the table only ever
answers what the models would, word by word. The one exception: a word it does not know that is
plainly of another language (another script, or a word of the de/es/it/pt/ru lookup tables of
``enrich/kblemmas.py``) is taken as itself, lower-cased, instead of loading the models for it.
``tests/enrich/test_lemma_table.py`` measures how often a table's lemma of a word equals the
lemma the enricher indexes for it in running text.

File format: a header line ``# diplowire-lemmas format=2 lang=.. model=.. model_version=..
spacy=..``, then one line per word, sorted: ``word`` (its lemma is the word itself),
``word<TAB>lemmas`` (space-separated when the tokenizer splits the word), or ``word<TAB>`` (no
lemma: a determiner, a preposition... which ``lemmas_of`` leaves out). A capitalised or capital
form is listed only where its lemmas differ from the lower-case word's.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

FORMAT = 2
MAX_ACRONYM = 6
"""Words up to this length are also tabled in capitals ("UN", "OTAN", "NATO")."""
TABLE_DIR = Path(__file__).parent
_HEADER = re.compile(rb"^# diplowire-lemmas (.*)$", re.M)
WORD = re.compile(r"^[^\W\d_]+$")  # letters only: the tokenizer keeps such a word whole


class Miss(enum.Enum):
    """Why the table could not answer a query (the models will)."""

    NO_TABLE = "no lemma table for the language"
    STALE = "the lemma table was built for another model, model version or spaCy version"
    NOT_A_WORD = "a query word is not made of letters only"
    UNKNOWN_WORD = "a query word is not in the lemma table"


@dataclass(frozen=True, slots=True)
class Table:
    lang: str
    model: str
    model_version: str
    spacy_version: str
    data: bytes
    """The whole file, searched with a regular expression (a query has too few words for a dict)."""

    def lookup(self, typed: str) -> str | None:
        """The lemmas of a query word as typed, or None when the table cannot say."""
        low = typed.lower()
        if typed == low:
            return self.get(low)
        if typed not in forms_of(low):
            return None  # another mix of cases ("McCain"): never tagged at build time
        found = self.get(typed)
        return self.get(low) if found is None else found

    def get(self, word: str) -> str | None:
        """The lemmas of ``word`` (``""``: none kept), or None when the table does not have it."""
        m = re.search(
            rb"^" + re.escape(word.encode("utf-8")) + rb"(?:\t([^\n]*))?$", self.data, re.M
        )
        if m is None:
            return None
        return word if m.group(1) is None else m.group(1).decode("utf-8")


def forms_of(word: str) -> list[str]:
    """The forms of a lower-case word a table holds: itself, capitalised, maybe in capitals."""
    forms = [word, word.capitalize()]
    if len(word) <= MAX_ACRONYM:
        forms.append(word.upper())
    return list(dict.fromkeys(forms))


def table_path(lang: str) -> Path:
    return TABLE_DIR / f"lemmas-{lang}.tsv"


def default_models() -> dict[str, str]:
    """The model per language the query side lemmatises with: ``enrich.nlp.MODELS``, read from
    the same settings class without importing spaCy."""
    from diplowire.wire.settings import ModelSettings

    return ModelSettings().by_lang()


def languages() -> list[str]:
    """The languages a query is lemmatised in by default: every language with a model (one
    without a table sends its queries to the models)."""
    return sorted(default_models())


def header(lang: str, model: str, model_version: str, spacy_version: str) -> str:
    return (
        f"# diplowire-lemmas format={FORMAT} lang={lang} model={model} "
        f"model_version={model_version} spacy={spacy_version}"
    )


def _installed(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


@cache
def load(lang: str) -> Table | Miss:
    """The table of ``lang``, or why there is none usable; read once per process."""
    try:
        data = table_path(lang).read_bytes()
    except FileNotFoundError:
        return Miss.NO_TABLE
    m = _HEADER.match(data)
    if m is None:
        return Miss.STALE
    fields = dict(kv.split("=", 1) for kv in m.group(1).decode().split() if "=" in kv)
    table = Table(
        lang=lang,
        model=fields.get("model", ""),
        model_version=fields.get("model_version", ""),
        spacy_version=fields.get("spacy", ""),
        data=data,
    )
    if (
        fields.get("format") != str(FORMAT)
        or table.model != default_models().get(lang)
        or _installed(table.model) != table.model_version
        or _installed("spacy") != table.spacy_version
    ):
        return Miss.STALE
    return table


def lemmatize_by_table(text: str, langs: Sequence[str] | None = None) -> list[str] | Miss:
    """:func:`diplowire.enrich.lemmatize.lemmatize`'s variants from the tables, or why not."""
    words = text.split()
    if not all(WORD.match(w) for w in words):
        return Miss.NOT_A_WORD
    out: list[str] = []
    for lang in langs or languages():
        table = load(lang)
        if isinstance(table, Miss):
            return table
        lemmas = [_foreign(w) if (x := table.lookup(w)) is None else x for w in words]
        found = [x for x in lemmas if x is not None]
        if len(found) != len(lemmas):
            return Miss.UNKNOWN_WORD
        out.append(" ".join(x for x in found if x))
    return [v for v in dict.fromkeys(out) if v]


def _foreign(word: str) -> str | None:
    """A word the table does not know, as itself lower-cased when it is plainly not French or
    English: written without Latin letters (Путин, بوتين, 普京), or known to a lookup table of a
    language without a model (Botschafter, ministros). The models would load for seconds to
    lemmatise it, mostly into itself (``scripts/measure_foreign_lemmas.py``: 182 and 192 of
    203 words of real excerpts in seven languages, fr and en), and only French or English
    articles hold their lemmas."""
    from diplowire.enrich import kblemmas

    latin = any(c.isalpha() and ord(c) < 0x250 for c in word)
    return word.lower() if not latin or kblemmas.knows(word) else None


def table_lines(entries: Iterable[tuple[str, str]]) -> list[str]:
    """Lines for (form, lemmas) pairs, sorted, in the file format above (without the header):
    a capitalised or capital form only where it differs from its lower-case word."""
    found = dict(entries)
    lines = []
    for form, lemmas in sorted(found.items()):
        if form != form.lower() and found.get(form.lower()) == lemmas:
            continue
        lines.append(form if lemmas == form else f"{form}\t{lemmas}")
    return lines
