"""Lemmas of the languages without a model (de es it pt ru), from lookup tables: one rule for the
enricher, which fills ``Enrichment.lemmas``, and for a search query, so their lemmas agree.

The tables come from spaCy's ``spacy-lookups-data`` (``scripts/build_kb_lemmas.py``; provenance in
``enrich/kb/README.md``), rewritten into ``enrich/kb/<lang>/lemmas.zip``: the rule is spaCy's
lookup lemmatizer (a word's lemma is in the table, or it is the word itself), applied to the
matching form of ``enrich.textnorm`` on both sides of the table, so that case, accents and ё do not
matter ("Botschaftern", "botschaftern" -> "botschafter"; "sanções", "sancoes" -> "sancao").

Words are the runs of letters of the text (digits, punctuation and apostrophes split them:
"dell'ambasciata" is "dell" "ambasciata"), every one kept: the packaged stop lists hold words a
diplomatic desk searches for (Spanish "acuerdo", "estados", "embargo"; Italian "consiglio").

File format: a zip archive (deflate) of sorted lines, ``form<TAB>lemma`` where the lemma differs
from the form and ``form`` alone for each lemma (so that a base form is known too), cut into
members of ``BLOCK`` lines named by their first form. The enricher and a query alike read only
the members that can hold the words they meet (~0.5 ms each), and remember each word's lemma: a
search loads no table whole and no spaCy.
"""

from __future__ import annotations

import bisect
import re
import zipfile
from functools import cache, lru_cache
from pathlib import Path

from diplowire.enrich.textnorm import match_form

KB_DIR = Path(__file__).parent / "kb"
TABLE = "lemmas.zip"
BLOCK = 4096
"""Lines per zip member: small enough that a query decompresses ~100 KB per word at most."""
MEMBERS = 96
"""Members kept decoded, all languages together (~0.4 MB each): a bound on the memory a
long-running enricher spends on tables, whatever it reads."""
MEMO = 200_000
"""Words whose lemma is remembered, per language, before the memo starts again."""
LETTERS = re.compile(r"[^\W\d_]+")
"""A word: a run of letters (any script)."""


def table_path(lang: str) -> Path:
    return KB_DIR / lang / TABLE


@cache
def languages() -> tuple[str, ...]:
    """The languages with a lookup table, sorted."""
    return tuple(sorted(p.parent.name for p in KB_DIR.glob(f"*/{TABLE}")))


def words(text: str) -> list[str]:
    """The matching forms of the words of ``text``, in order."""
    return [match_form(w) for w in LETTERS.findall(text)]


@cache
def _archive(lang: str) -> tuple[zipfile.ZipFile, tuple[str, ...]] | None:
    path = table_path(lang)
    if not path.exists():
        return None
    archive = zipfile.ZipFile(path)
    return archive, tuple(sorted(archive.namelist()))


@lru_cache(maxsize=MEMBERS)
def _member(lang: str, name: str) -> dict[str, str]:
    found = _archive(lang)
    assert found is not None
    out: dict[str, str] = {}
    for line in found[0].read(name).decode("utf-8").splitlines():
        form, tab, lemma = line.partition("\t")
        out[form] = lemma if tab else form
    return out


def lookup(lang: str, form: str) -> str | None:
    """The lemma of a matching form from its member only (the query side), or None when the table
    does not know the word (its lemma is then the form itself)."""
    found = _archive(lang)
    if found is None:
        return None
    names = found[1]
    at = bisect.bisect_right(names, form) - 1
    return _member(lang, names[max(at, 0)]).get(form)


@cache
def _memo(lang: str) -> dict[str, str]:
    """Word as written -> lemma, filled as the enricher meets words: a recurring word costs one
    dict lookup, not its folding and table lookup again (loading a whole table up front would
    cost seconds per language)."""
    return {}


def lemma(lang: str, word: str) -> str:
    """The lemma of a word (folded first): the table's, else the folded word itself."""
    memo = _memo(lang)
    found = memo.get(word)
    if found is None:
        form = match_form(word)
        found = lookup(lang, form) or form
        if len(memo) >= MEMO:
            memo.clear()
        memo[word] = found
    return found


def lemmas(lang: str, text: str) -> str:
    """The lemmas of every word of ``text``, space-separated ("" without a table)."""
    if _archive(lang) is None:
        return ""
    get = _memo(lang).get
    return " ".join([get(w) or lemma(lang, w) for w in LETTERS.findall(text)])


def query_lemmas(lang: str, text: str) -> str:
    """:func:`lemmas` of a query (the same rule: the members its words need are read)."""
    return lemmas(lang, text)


def knows(word: str) -> bool:
    """Whether a lookup table knows ``word`` (as a form or a lemma): a word of that language."""
    form = match_form(word)
    return any(lookup(lang, form) is not None for lang in languages())
