"""Lemmas for search: the API the query side calls, and the rule the enricher indexes with.

``lemmas_of`` is the one rule (which tokens count, lower-cased lemmas) that ``enrich_batch``
stores in ``Enrichment.lemmas``; ``lemmatize`` applies the same rule to a search query, so that a
query's lemmas are the index's. ``diplowire.index`` uses only :func:`lemmatize`.

A query is first looked up in the lemma tables (``enrich/lemma_table.py``, built from the same
pipeline); the models load only for a query the tables cannot answer. So this module imports
spaCy only when that happens.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import TYPE_CHECKING

from diplowire.enrich.lemma_table import Miss, lemmatize_by_table

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

log = logging.getLogger(__name__)

_SKIP_POS = frozenset({"PUNCT", "SPACE", "SYM", "NUM", "DET", "ADP", "CCONJ", "SCONJ"})


def lemmas_of(doc: Doc) -> str:
    """The Doc's content-word lemmas, lower-cased, space-separated (no determiners, numbers...)."""
    return " ".join(
        (tok.lemma_ or tok.text).lower()
        for tok in doc
        if tok.pos_ not in _SKIP_POS and not tok.is_punct and not tok.is_space
    )


@cache
def _lemmatizer(lang: str) -> Language | None:
    """A light pipeline per language, loaded once per process (a query needs no NER or KB)."""
    import spacy

    from diplowire.enrich import spacy_compat
    from diplowire.enrich.nlp import MODELS

    name = MODELS.get(lang)
    if name is None:
        return None
    try:
        # Only what lemmas need: tagging and the lemmatizer; no NER, no parser, no KB matcher.
        pipeline = spacy.load(name, exclude=["ner", "parser", "senter"])
    except OSError as exc:
        log.warning("no lemmatizer for %s (%s): searching word forms only", lang, exc)
        return None
    # The same arithmetic as the enricher's, so that a query's lemmas are the index's.
    spacy_compat.use_numpy_blas(pipeline)
    return pipeline


def lemmatize(text: str, langs: Sequence[str] | None = None) -> list[str]:
    """The text's lemmas in each language the enricher lemmatises (same rules as the index).

    One string of lemmas per language of ``langs`` (default: every language with a model or a
    lookup table), duplicates and empty ones left out. A query's language is often unknowable
    from two words, so every variant is tried; a variant wrong for the query's language is
    harmless (it just matches nothing more). A language with neither is skipped.

    French and English: from the lemma tables when they know every word (each word lemmatised
    alone, as :func:`lemmatize_with_models` would); else from the models, which take seconds to
    load. de es it pt ru: from their lookup tables (``enrich/kblemmas.py``), as the enricher does.
    """
    from diplowire.enrich import kblemmas
    from diplowire.enrich.lemma_table import languages

    if not text.strip():
        return []
    lookup_langs = kblemmas.languages()
    wanted = list(langs) if langs else [*languages(), *lookup_langs]
    by_models = [lang for lang in wanted if lang in languages()]
    out: list[str] = []
    if by_models:
        found = lemmatize_by_table(text, by_models)
        if isinstance(found, Miss):
            log.info(
                "lemmatising the query with the spaCy models (%s): this takes a while", found.value
            )
            found = lemmatize_with_models(text, by_models)
        out += found
    out += [kblemmas.lemmas(lang, text) for lang in wanted if lang in lookup_langs]
    return [v for v in dict.fromkeys(out) if v]


def lemmatize_with_models(text: str, langs: Sequence[str] | None = None) -> list[str]:
    """:func:`lemmatize` with the models themselves, the text tagged as a whole."""
    from diplowire.enrich.nlp import MODELS

    if not text.strip():
        return []
    out: list[str] = []
    for lang in langs or sorted(MODELS):
        pipeline = _lemmatizer(lang)
        if pipeline is not None:
            out.append(lemmas_of(pipeline(text)))
    return [v for v in dict.fromkeys(out) if v]


def table_entries(
    lang: str, words: Iterable[str], batch_size: int = 512
) -> Iterator[tuple[str, str]]:
    """(word, lemmas) for a lemma table: each word lemmatised alone by the query side's pipeline,
    exactly as :func:`lemmatize_with_models` lemmatises a one-word query."""
    pipeline = _lemmatizer(lang)
    if pipeline is None:
        return
    todo = list(words)
    for word, doc in zip(todo, pipeline.pipe(todo, batch_size=batch_size), strict=True):
        yield word, lemmas_of(doc)
