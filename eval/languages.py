"""Score the no-NER path (enrich/kbonly.py) on the labelled articles in seven more languages.

    .venv/bin/python -m eval.languages --split dev     # look at it freely
    .venv/bin/python -m eval.languages --split test    # frozen: once per release

Data: ``data/languages/labelled.jsonl`` (real articles in de, es, pt, it, ru, ar, zh, labelled
before the rules for these languages were written or run on them; split by a hash of the URL).
Per language: countries, topics, actors and dyads (P/R/F1 with a 95 % bootstrap interval), and
persons, where only officials known to the knowledge base can be found (no NER in these
languages), so their recall is reported as what it is.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from diplowire.enrich import kbonly
from diplowire.enrich.textnorm import match_form
from diplowire.wire.article import Person
from eval.evaluate import person_match, set_counts
from eval.intervals import DocCounts, bootstrap_f1, f1

DATA = Path(__file__).parent / "data" / "languages" / "labelled.jsonl"
FIELDS = ("countries", "actors", "dyads", "topics", "persons")


def _prf(docs: Sequence[DocCounts]) -> dict[str, Any]:
    tp, fp, fn = (sum(d[k] for d in docs) for k in range(3))
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {
        "p": round(p, 3),
        "r": round(r, 3),
        "f1": round(f1(tp, fp, fn), 3),
        "ci95": bootstrap_f1(docs),
    }


def _forms(p: Person) -> set[str]:
    """A found person's name, surname and the text's own spellings, in the matching form: gold
    writes names as the article does ("拉马福萨", "習近平", "Лаврова" in base form), the KB its
    canonical ("西里尔·拉马福萨", "习近平")."""
    name = match_form(p.name)
    return {name, name.replace("·", " ").split()[-1], *(match_form(m.text) for m in p.mentions)}


def match_persons(pred: Sequence[Person], gold: Sequence[str]) -> DocCounts:
    """eval.evaluate.match_lists, plus a hit when a gold name equals a form of ``_forms``."""
    free = list(gold)
    tp = 0
    for p in pred:
        forms = _forms(p)
        hit = next((g for g in free if person_match(p.name, g) or match_form(g) in forms), None)
        if hit is not None:
            free.remove(hit)
            tp += 1
    return tp, len(pred) - tp, len(free)


def score(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    per_lang: dict[str, dict[str, list[DocCounts]]] = defaultdict(lambda: defaultdict(list))
    for item in items:
        facts = kbonly.matcher(item["lang"]).analyze(
            f"{item['title']}\n\n{item['text']}", item.get("published")
        )
        gold = item["gold"]
        doc = {
            "countries": set_counts({c.code for c in facts.countries}, gold["countries"]),
            "actors": set_counts({c.code for c in facts.countries if c.actor}, gold["actors"]),
            "dyads": set_counts(facts.dyads, gold["dyads"]),
            "topics": set_counts({t.name for t in facts.topics}, gold["topics"]),
            "persons": match_persons(facts.persons, gold["persons"]),
        }
        for f in FIELDS:
            per_lang[item["lang"]][f].append(doc[f])
            per_lang["all"][f].append(doc[f])
    return {
        lang: {"n": len(fields["countries"]), **{f: _prf(fields[f]) for f in FIELDS}}
        for lang, fields in sorted(per_lang.items())
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--split", choices=["dev", "test"], required=True)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    items = [
        json.loads(line)
        for line in DATA.read_text(encoding="utf-8").splitlines()
        if line and json.loads(line)["split"] == args.split
    ]
    result = score(items)
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
        return 0
    print(
        f"{'lang':<5}{'n':>4}  "
        + "".join(f"{f + ' F1 [95% CI]':<26}" for f in FIELDS[:4])
        + "persons P/R"
    )
    for lang, r in result.items():
        cells = "".join(
            f"{r[f]['f1']:<6}[{r[f]['ci95'][0]:.2f}, {r[f]['ci95'][1]:.2f}]{'':<8}"
            for f in FIELDS[:4]
        )
        print(f"{lang:<5}{r['n']:>4}  {cells}{r['persons']['p']}/{r['persons']['r']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
