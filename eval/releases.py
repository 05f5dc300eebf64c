"""Score a release on the never-tuned-on sets and compare two releases document by document.

    python -m eval.releases export --out unseen.jsonl        # the sets' items, each with its set
    python -m eval.releases export --dev --out dev.jsonl     # or the DEV documents, by collection
    python -m eval.releases score unseen.jsonl --out r7.json  # this tree's per-document counts
    python -m eval.releases compare r6.json r7.json           # paired intervals, pooled and by set

A release is scored once on the validation and test sets; two releases are compared on the same
documents, so the difference gets a paired interval (``intervals.paired_difference``) rather than
two overlapping ones. ``score`` needs only ``evaluate.evaluate_items`` and ``load_items``, which
every release since the wave-3 split has, so this file can be copied into an older release's
worktree and run there on the file ``export`` wrote: both releases then read the same items.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.intervals import DocCounts, bootstrap_f1, micro_f1, paired_difference

UNSEEN = (
    "wave3-test",
    "wave4-val",
    "wave6-val",
    "wave8-val",
    "wave10-val",
    "wave12-val",
    "wave13-val",
)
"""Every set never tuned on, in the order the releases' tables give them."""
POOLS = {
    "unseen327": ("wave3-test", "wave4-val", "wave6-val", "wave8-val"),
    "unseen407": ("wave3-test", "wave4-val", "wave6-val", "wave8-val", "wave10-val"),
    "unseen487": ("wave3-test", "wave4-val", "wave6-val", "wave8-val", "wave10-val", "wave12-val"),
    "all": UNSEEN,
    "dev816": (
        "dev",
        "dev2",
        "heldout",
        "wave3-dev",
        "wave5-dev",
        "wave7-dev",
        "wave9-dev",
        "wave11-dev",
    ),
}
"""Pooled rows: ``unseen327`` keeps releases 4-6's pooled figure comparable, ``unseen407``
releases 7-8's, ``unseen487`` release 9's; ``all`` adds the sets labelled since; ``dev816``
pools an ``export --dev`` file."""
FIELDS = ("countries", "persons", "organizations", "topics", "actors", "dyads")


def export(names: Sequence[str], out: Path) -> int:
    from eval.evaluate import load_set

    n = 0
    with out.open("w", encoding="utf-8") as fh:
        for name in names:
            for item in load_set(name):
                fh.write(json.dumps({**item, "set": name}, ensure_ascii=False) + "\n")
                n += 1
    return n


def export_dev(out: Path) -> int:
    """The DEV documents (``eval.devdata.allowed_items``), each with its collection as ``set``:
    ``score`` and ``compare`` then give a change's before/after per DEV collection."""
    from eval.devdata import allowed_items

    items = allowed_items()
    with out.open("w", encoding="utf-8") as fh:
        for source, item in items:
            fh.write(json.dumps({**item, "set": source}, ensure_ascii=False) + "\n")
    return len(items)


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def score(items_path: Path, out: Path) -> dict[str, Any]:
    from eval.evaluate import evaluate_items, load_items

    items = load_items(items_path)
    result = evaluate_items(items_path.name, items)
    record = {
        "commit": _commit(),
        "ids": [i["id"] for i in items],
        "sets": [i["set"] for i in items],
        "ours": {f: result["ours"]["per_doc"][f] for f in FIELDS},
        "trivial": {f: result["trivial"]["per_doc"][f] for f in ("actors", "dyads")},
    }
    out.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return record


def _pick(docs: list[DocCounts], sets: list[str], wanted: Sequence[str]) -> list[DocCounts]:
    return [tuple(d) for d, s in zip(docs, sets, strict=True) if s in wanted]  # type: ignore[misc]


def _groups(sets: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    present = set(sets)
    pools = [(k, v) for k, v in POOLS.items() if all(s in present for s in v)]
    by_set = [(s, (s,)) for s in dict.fromkeys(sets)]
    return pools + by_set


def compare(old: dict[str, Any], new: dict[str, Any]) -> str:
    if old["ids"] != new["ids"]:
        raise SystemExit("the two files score different documents: export once, score both")
    sets = new["sets"]
    lines = [
        f"# {old['commit']} -> {new['commit']}: F1 old -> new [95 % CI of new], "
        "paired (new - old) [95 % CI]",
    ]
    for f in FIELDS:
        lines.append(f"{f}")
        for name, wanted in _groups(sets):
            a = _pick(old["ours"][f], sets, wanted)
            b = _pick(new["ours"][f], sets, wanted)
            lo, hi = bootstrap_f1(b)
            d = paired_difference(b, a)
            lines.append(
                f"    {name:<11} n={len(b):>3} {micro_f1(a):.3f} -> {micro_f1(b):.3f} "
                f"[{lo:.3f}, {hi:.3f}]  paired [{d[0]:.3f}, {d[1]:.3f}]"
            )
    lines.append("ours - trivial (every country found acts), new release: ours vs trivial, paired")
    for f in ("actors", "dyads"):
        for name, wanted in _groups(sets):
            ours = _pick(new["ours"][f], sets, wanted)
            triv = _pick(new["trivial"][f], sets, wanted)
            d = paired_difference(ours, triv)
            lines.append(
                f"    {f:<7}{name:<11} {micro_f1(ours):.3f} vs {micro_f1(triv):.3f} "
                f"(+{micro_f1(ours) - micro_f1(triv):.3f}) paired [{d[0]:.3f}, {d[1]:.3f}]"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("export", help="write the never-tuned-on sets' items, each with its set")
    ex.add_argument("--out", type=Path, required=True)
    which = ex.add_mutually_exclusive_group()
    which.add_argument("--sets", nargs="+", default=list(UNSEEN))
    which.add_argument(
        "--dev",
        action="store_true",
        help="the DEV documents instead, by collection (no scoring "
        "of a release: a change's before/after on what may be tuned on)",
    )
    sc = sub.add_parser("score", help="this tree's per-document counts on an exported file")
    sc.add_argument("items", type=Path)
    sc.add_argument("--out", type=Path, required=True)
    cp = sub.add_parser("compare", help="two score files, paired, pooled and by set")
    cp.add_argument("old", type=Path)
    cp.add_argument("new", type=Path)
    args = ap.parse_args(argv)
    if args.cmd == "export":
        n = export_dev(args.out) if args.dev else export(args.sets, args.out)
        print(f"{n} items -> {args.out}", file=sys.stderr)
    elif args.cmd == "score":
        record = score(args.items, args.out)
        print(f"{len(record['ids'])} documents scored at {record['commit']} -> {args.out}")
    else:
        old = json.loads(args.old.read_text(encoding="utf-8"))
        new = json.loads(args.new.read_text(encoding="utf-8"))
        print(compare(old, new))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
