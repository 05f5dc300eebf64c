"""Rebuild the query lemma tables ``enrich/lemmas-<lang>.tsv`` (see ``enrich/lemma_table.py``).

Run by hand when a spaCy model or spaCy itself changes version (``tests/enrich/
test_lemma_table.py`` fails until then, and searches meanwhile load the models). The words are
the letters-only strings of every model's vocabulary, lower-cased, the same list for each
language (a query's language is unknown, so each table must know the other languages' words);
each is lemmatised alone, in lower case, capitalised and (short ones) in capitals, by the query
side's pipeline. 14-23 minutes a language on the shared two cores.

    .venv/bin/python scripts/build_lemma_table.py [--langs fr en] [--limit N]
"""

from __future__ import annotations

import argparse
import time
from importlib.metadata import version

import spacy

from diplowire.enrich.lemma_table import WORD, forms_of, header, table_lines, table_path
from diplowire.enrich.lemmatize import table_entries
from diplowire.enrich.nlp import MODELS

MAX_LEN = 40  # longer "words" in a vocabulary are noise (URLs and run-together strings)


def vocabulary() -> list[str]:
    words: set[str] = set()
    for name in MODELS.values():
        # Only the vocabulary is needed: no pipeline component runs.
        vocab = spacy.load(name, exclude=["tok2vec", "morphologizer", "tagger", "parser", "ner"])
        for s in vocab.vocab.strings:
            w = s.lower()
            if len(w) <= MAX_LEN and WORD.match(w):
                words.add(w)
    return sorted(words)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--langs", nargs="*", default=sorted(MODELS))
    ap.add_argument("--limit", type=int, default=0, help="only the first N words (a trial run)")
    args = ap.parse_args()
    words = vocabulary()
    if args.limit:
        words = words[: args.limit]
    print(f"{len(words)} words")
    for lang in args.langs:
        started = time.monotonic()
        forms = [f for w in words for f in forms_of(w)]
        lines = table_lines(table_entries(lang, forms))
        head = header(lang, MODELS[lang], version(MODELS[lang]), version("spacy"))
        path = table_path(lang)
        path.write_text("\n".join([head, *lines]) + "\n", encoding="utf-8")
        took = time.monotonic() - started
        print(f"{lang}: {len(lines)} words in {took:.0f} s -> {path}")


if __name__ == "__main__":
    main()
