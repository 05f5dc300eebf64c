"""How far do two labellers agree? (issue 12)

The issue's targets are F1 against one labeller's gold. This scores a blind second labelling of
42 wave3-dev items (``data/agreement/wave3-dev-second.jsonl``) against the first gold with the
same matching as ``eval.evaluate`` (lenient persons, organisations by canonical key, sets for the
rest, dyads as pairs of actors), beside the enricher against the same first gold on the same
items, so a target can be read against what the labels themselves can measure.

    .venv/bin/python -m eval.agreement            # table (add --diff for per-document differences)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.evaluate import (
    DATA,
    FIELDS,
    canon_org_string,
    dyads_of,
    load_set,
    match_lists,
    predict,
    set_counts,
)
from eval.intervals import DocCounts, bootstrap_f1, micro_f1, paired_difference

SECOND = DATA / "agreement" / "wave3-dev-second.jsonl"
FIRST_SET = "wave3-dev"
"""The second labels cover dev items only: the frozen test split is never read here."""

Labels = Mapping[str, Any]
Canon = Callable[[str, str], str]


def load_second(path: Path = SECOND) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def as_key(key: str, lang: str) -> str:
    """The enricher's organisations are canonical keys already."""
    return key


def doc_counts(
    pred: Labels,
    gold: Labels,
    lang: str,
    canon: Canon = canon_org_string,
    pred_canon: Canon | None = None,
) -> dict[str, DocCounts]:
    """(tp, fp, fn) per field of ``pred`` (the second labeller or the enricher) against ``gold``
    (the first labeller), with evaluate.py's matching. Dyads are recomputed from the actors on
    both sides: the gold's stored dyads are exactly these pairs (checked by the test)."""
    pc = pred_canon or canon
    return {
        "countries": set_counts(pred["countries"], gold["countries"]),
        "persons": match_lists(list(pred["persons"]), list(gold["persons"])),
        "organizations": set_counts(
            {pc(o, lang) for o in pred["organizations"]},
            {canon(o, lang) for o in gold["organizations"]},
        ),
        "topics": set_counts(pred["topics"], gold["topics"]),
        "actors": set_counts(pred["actors"], gold["actors"]),
        "dyads": set_counts(dyads_of(pred["actors"]), dyads_of(gold["actors"])),
    }


def collect(
    pairs: Sequence[tuple[Labels, Labels, str]],
    canon: Canon = canon_org_string,
    pred_canon: Canon | None = None,
) -> dict[str, list[DocCounts]]:
    """Per-document counts of each field over (pred, gold, lang) triples."""
    out: dict[str, list[DocCounts]] = {f: [] for f in FIELDS}
    for pred, gold, lang in pairs:
        for f, c in doc_counts(pred, gold, lang, canon, pred_canon).items():
            out[f].append(c)
    return out


def prf(docs: Sequence[DocCounts]) -> tuple[float, float, float]:
    tp, fp, fn = (sum(d[i] for d in docs) for i in range(3))
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, micro_f1(docs)


def _cell(docs: Sequence[DocCounts]) -> str:
    p, r, f = prf(docs)
    lo, hi = bootstrap_f1(docs)
    return f"{f:.3f} [{lo:.3f}, {hi:.3f}] ({p:.2f} / {r:.2f})"


def enricher_labels(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The enricher's output on the items, as label records (organisations as canonical keys:
    compare them with ``pred_canon=as_key``)."""
    ours, _ = predict(items)
    return [
        {
            "countries": p.countries,
            "persons": p.persons,
            "organizations": sorted(p.organizations),
            "topics": p.topics,
            "actors": p.actors,
        }
        for p in ours
    ]


def report(items: list[dict[str, Any]], second: list[dict[str, Any]]) -> str:
    first = [it["gold"] for it in items]
    langs = [it["lang"] for it in items]
    two = [s["gold2"] for s in second]
    ours = enricher_labels(items)
    l2 = collect(list(zip(two, first, langs, strict=True)))
    # Organisations by canonical key on both rows (evaluate.py's key scorer), so the two
    # columns use one rule.
    en = collect(list(zip(ours, first, langs, strict=True)), pred_canon=as_key)
    lines = [
        f"Agreement on {len(items)} wave3-dev items ({langs.count('fr')} fr, "
        f"{langs.count('en')} en): F1 [95 % CI] (P / R) against labeller 1's gold",
        "",
        "| field | labeller 2 vs 1 | enricher vs 1 | labeller 2 − enricher (paired) |",
        "| --- | --- | --- | --- |",
    ]
    for f in FIELDS:
        lo, hi = paired_difference(l2[f], en[f])
        lines.append(f"| {f} | {_cell(l2[f])} | {_cell(en[f])} | [{lo:.3f}, {hi:.3f}] |")
    for lang in ("fr", "en"):
        idx = [i for i, x in enumerate(langs) if x == lang]
        lines += [
            "",
            f"{lang} ({len(idx)} items)",
            "",
            "| field | labeller 2 vs 1 | enricher vs 1 |",
        ]
        lines.append("| --- | --- | --- |")
        for f in FIELDS:
            a, b = [l2[f][i] for i in idx], [en[f][i] for i in idx]
            lines.append(f"| {f} | {_cell(a)} | {_cell(b)} |")
    return "\n".join(lines)


def differences(items: list[dict[str, Any]], second: list[dict[str, Any]]) -> str:
    """Per document and field: what only labeller 1 and only labeller 2 gave."""
    out = []
    for it, s in zip(items, second, strict=True):
        g1, g2 = it["gold"], s["gold2"]
        k1 = {canon_org_string(o, it["lang"]): o for o in g1["organizations"]}
        k2 = {canon_org_string(o, it["lang"]): o for o in g2["organizations"]}
        for f in ("countries", "persons", "organizations", "topics", "actors"):
            if f == "organizations":  # by canonical key, as scored: spelling variants agree
                only1 = sorted(v for k, v in k1.items() if k not in k2)
                only2 = sorted(v for k, v in k2.items() if k not in k1)
            else:
                only1 = sorted(set(g1[f]) - set(g2[f]))
                only2 = sorted(set(g2[f]) - set(g1[f]))
            if only1 or only2:
                out.append(f"{it['id']} {f}: only L1 {only1} | only L2 {only2}")
    return "\n".join(out)


def paired_items(second: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first gold's items for the second labels' ids, in the second file's order."""
    by_id = {it["id"]: it for it in load_set(FIRST_SET)}
    missing = [s["id"] for s in second if s["id"] not in by_id]
    if missing:
        raise ValueError(f"second labels for ids not in {FIRST_SET}: {missing}")
    return [by_id[s["id"]] for s in second]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--diff", action="store_true", help="per-document label differences")
    args = ap.parse_args(argv)
    second = load_second()
    items = paired_items(second)
    print(differences(items, second) if args.diff else report(items, second))
    return 0


if __name__ == "__main__":
    sys.exit(main())
