"""Checks a new labelled collection's files before they are committed (no enricher involved).

    .venv/bin/python -m eval.wavecheck eval/data/wave11/eu.jsonl [more files]
    .venv/bin/python -m eval.wavecheck --hosts          # the outlets every labelled file uses

A labeller runs it on their own file: the record format of waves 9-11, ``dyads`` as every pair
of ``actors``, actors among ``countries``, topics from the taxonomy, and an outlet (host name,
``www.`` dropped) that no other labelled file uses and that occurs once in the files checked.
It reads only ids, URLs and labels of the other files, never their texts.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from diplowire.enrich.kb import TOPICS
from eval.evaluate import DATA, dyads_of, load_items

GOLD = ("countries", "actors", "persons", "organizations", "topics", "dyads")
ID = re.compile(r"^w\d+-[a-z-]+-(fr|en)-\d\d$")
CODE = re.compile(r"^[A-Z]{2}$")


def host(url: str) -> str:
    return urlparse(url).netloc.lower().removeprefix("www.")


def _others(exclude: Iterable[Path]) -> list[dict[str, Any]]:
    skip = {p.resolve() for p in exclude}
    return [
        item
        for path in sorted(DATA.rglob("*.jsonl"))
        if path.resolve() not in skip
        for item in load_items(path)
    ]


def known_hosts(exclude: Iterable[Path] = ()) -> Counter[str]:
    """Outlets of every labelled file under eval/data except ``exclude``."""
    return Counter(host(str(i["source_url"])) for i in _others(exclude) if i.get("source_url"))


def problems(item: dict[str, Any]) -> list[str]:
    """What is wrong with one record (empty when nothing)."""
    out: list[str] = []
    if not ID.match(str(item.get("id", ""))):
        out.append("id is not w<wave>-<region>-<fr|en>-NN")
    if item.get("lang") not in ("fr", "en") or f"-{item.get('lang')}-" not in str(item.get("id")):
        out.append("lang missing or not the id's")
    for key in ("title", "text", "source_url", "published", "region", "split", "provenance"):
        if key not in item:
            out.append(f"no {key}")
    if not str(item.get("text", "")).strip():
        out.append("empty text")
    gold = item.get("gold")
    if not isinstance(gold, dict) or set(gold) != set(GOLD):
        return [*out, f"gold must have exactly {', '.join(GOLD)}"]
    countries, actors = set(gold["countries"]), set(gold["actors"])
    for code in countries:
        if not CODE.match(code):
            out.append(f"country {code!r} is not ISO alpha-2")
    if not actors <= countries:
        out.append(f"actors not among countries: {sorted(actors - countries)}")
    if set(gold["dyads"]) != dyads_of(actors):
        out.append("dyads are not every pair of actors (AA-BB in code order)")
    unknown = set(gold["topics"]) - set(TOPICS)
    if unknown:
        out.append(f"topics not in the taxonomy: {sorted(unknown)}")
    if not item.get("label_notes"):
        out.append("no label_notes")
    return out


def check(paths: Sequence[Path]) -> list[str]:
    """Every problem of ``paths`` as ``file: id: problem`` lines."""
    items = [(p, i) for p in paths for i in load_items(p)]
    others = known_hosts(paths)
    other_ids = {i.get("id") for i in _others(paths)}
    mine = Counter(host(str(i.get("source_url", ""))) for _, i in items)
    ids = Counter(i.get("id") for _, i in items)
    out = []
    for path, item in items:
        found = problems(item)
        h = host(str(item.get("source_url", "")))
        if others[h]:
            found.append(f"outlet {h} is used by another labelled file")
        if mine[h] > 1:
            found.append(f"outlet {h} used {mine[h]} times in these files")
        if ids[item.get("id")] > 1 or item.get("id") in other_ids:
            found.append("id used twice")
        out += [f"{path.name}: {item.get('id')}: {p}" for p in found]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--hosts", action="store_true", help="print the outlets already used")
    args = ap.parse_args(argv)
    if args.hosts:
        print("\n".join(sorted(known_hosts())))
        return 0
    if not args.files:
        ap.error("name the files to check (or --hosts)")
    found = check(args.files)
    for line in found:
        print(line)
    n = sum(1 for p in args.files for _ in load_items(p))
    print(f"{n} items, {len(found)} problems", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
