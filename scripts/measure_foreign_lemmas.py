"""How often the lemma tables' shortcut for foreign words (``enrich/lemma_table.py``: a word the
fr/en tables do not know, in another script or known to a de/es/it/pt/ru lookup table, is taken
as itself) equals what the French and English models would give it.

The words are those of the real news excerpts in seven languages of
``tests/enrich/fixtures/languages/items.json``; the models load (minutes on a loaded machine).

    .venv/bin/python scripts/measure_foreign_lemmas.py
"""

from __future__ import annotations

import json
from pathlib import Path

from diplowire.enrich import kblemmas
from diplowire.enrich.lemma_table import Table, _foreign, load
from diplowire.enrich.lemmatize import lemmatize_with_models

ITEMS = Path(__file__).parents[1] / "tests" / "enrich" / "fixtures" / "languages" / "items.json"


def main() -> None:
    items = json.loads(ITEMS.read_text("utf-8"))["items"]
    words = sorted({w for it in items for w in kblemmas.LETTERS.findall(it["text"])})
    for lang in ("fr", "en"):
        table = load(lang)
        assert isinstance(table, Table), table
        agree, differ = 0, []
        for w in words:
            guess = _foreign(w) if table.lookup(w) is None else None
            if guess is None:
                continue
            found = lemmatize_with_models(w, [lang])
            if (found[0] if found else "") == guess:
                agree += 1
            else:
                differ.append((w, guess, found[0] if found else ""))
        total = agree + len(differ)
        print(f"{lang}: {agree}/{total} equal ({agree / total:.1%}); differ: {differ}")


if __name__ == "__main__":
    main()
