"""Build the lemma lookup tables of the languages without a model (``enrich/kb/<lang>/lemmas.zip``)
from spaCy's ``spacy-lookups-data`` wheel, which is not a dependency: it is downloaded once into a
cache folder by pip, only its ``<lang>_lemma_lookup.json.gz`` members are read, and the wheel's
version, sha256 and licence are printed for ``enrich/kb/README.md``.

Each table is rewritten in the matching form of ``enrich.textnorm`` (case folded, accents and
Arabic marks dropped, ё = е) on both sides, so that the enricher and a query look words up alike
(``enrich/kblemmas.py``). Forms that are not made of letters only are dropped (a query word never
is one). When several entries fold to one form ("Wahlen" -> Wahl, "wählen" -> wählen), the one
written closest to the folded form wins: the same letters, then only the case differs, then the
accents too; ties go to the shortest lemma, then the first in alphabetical order. Except in German
(where every noun is capitalised), the lemma of a capitalised entry, a name, is its own lemma
("Путина" -> Путин, so "путин" is Putin, not a form of путина).

    .venv/bin/python scripts/build_kb_lemmas.py [--langs de es it pt ru] [--cache DIR]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import subprocess
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

from diplowire.enrich.kblemmas import BLOCK, table_path
from diplowire.enrich.textnorm import match_form

PACKAGE = "spacy-lookups-data"
VERSION = "1.0.5"
PIN = f"{PACKAGE}=={VERSION}"
WHEEL = f"spacy_lookups_data-{VERSION}-py2.py3-none-any.whl"
SHA256 = "466f21f087e4144bc93800679437ec5a17be7d0888734b1ba880b3ecb0978bc6"
"""The wheel's sha256 as pip verified it against PyPI's index on 2026-11-30: a rebuild stops on any
other file."""
LANGS = ("de", "es", "it", "pt", "ru")
CAPITALISED_NOUNS = frozenset({"de"})
"""Tables where a capital letter marks every noun, not a name."""
CACHE = Path.home() / ".cache" / "diplowire" / "lookups"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # members dated alike: a rebuild gives the same bytes


def wheel(cache: Path) -> Path:
    path = cache / WHEEL
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--dest", str(cache), PIN],
            check=True,
        )
    return path


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def is_word(form: str) -> bool:
    return bool(form) and all(c.isalpha() for c in form)


def fold(raw: dict[str, str], lang: str) -> dict[str, str]:
    """The table in matching forms: folded form -> folded lemma (see the module's doc)."""
    cands: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    names: set[str] = set()
    for form, lemma in raw.items():
        key = match_form(form)
        if not is_word(key):
            continue
        distance = 0 if form == key else 1 if form.lower() == key else 2
        value = match_form(lemma)
        cands[key].append((distance, len(value), value))
        if form[:1].isupper() and lang not in CAPITALISED_NOUNS:
            names.add(value)
    out = {key: min(options)[2] for key, options in cands.items()}
    # A name's base form is the name: "путин" is listed only as a form of путина (a fishing
    # season), while "Путина" -> Путин says it is a surname too, which is what the press means.
    out.update({name: name for name in names if is_word(name)})
    return out


def lines_of(table: dict[str, str]) -> list[str]:
    """``form<TAB>lemma`` where they differ, and each lemma alone (a word the table knows)."""
    entries = {form: lemma for form, lemma in table.items() if form != lemma}
    for lemma in set(table.values()):
        if is_word(lemma) and lemma not in entries:
            entries[lemma] = lemma
    return [f if lem == f else f"{f}\t{lem}" for f, lem in sorted(entries.items())]


def write(path: Path, lines: list[str], comment: str) -> None:
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.comment = comment.encode("utf-8")
        for i in range(0, len(lines), BLOCK):
            block = lines[i : i + BLOCK]
            first = block[0].partition("\t")[0]
            info = zipfile.ZipInfo(first, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, "\n".join(block) + "\n", compresslevel=9)
    tmp.replace(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--langs", nargs="*", default=list(LANGS))
    ap.add_argument("--cache", type=Path, default=CACHE)
    args = ap.parse_args()
    path = wheel(args.cache)
    digest = sha256(path)
    if digest != SHA256:
        raise SystemExit(f"{path}: sha256 {digest}, expected {SHA256}")
    print(f"{WHEEL}: sha256 {digest}")
    with zipfile.ZipFile(path) as whl:
        meta = whl.read(f"spacy_lookups_data-{VERSION}.dist-info/METADATA").decode()
        licence = next(x for x in meta.splitlines() if x.startswith("License:"))
        print(licence)
        total = 0
        for lang in args.langs:
            raw = json.loads(
                gzip.decompress(whl.read(f"spacy_lookups_data/data/{lang}_lemma_lookup.json.gz"))
            )
            lines = lines_of(fold(raw, lang))
            out = table_path(lang)
            write(out, lines, f"{PACKAGE} {VERSION} {lang}_lemma_lookup sha256:{digest}")
            size = out.stat().st_size
            total += size
            print(f"{lang}: {len(raw)} entries -> {len(lines)} lines, {size / 1e6:.2f} MB -> {out}")
    print(f"total {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
