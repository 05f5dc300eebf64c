"""Apply a relabelling review (``eval/data/relabel/*.jsonl``) to the DEV collections.

A review has one line per DEV item re-read under ``eval/LABELLING.md`` part 3's decided rules:
``{"id", "actors", "topics", "changed", "rules", "note"}``. For each changed item the gold
``actors`` and ``topics`` are replaced, ``dyads`` recomputed (every pair of actors, the
convention of every collection), and one line appended to ``label_notes`` saying which rules
moved it; the mention-level gold (``eval/data/actor_mentions``) drops states that no longer act.
Idempotent: running it twice changes nothing the second time. Refuses test and validation items.

An organisations review (part 5, rule P9) has one line per *changed* item instead:
``{"id", "organizations", "removed", "rules", "note"}``; the gold ``organizations`` are replaced
by the new full list (every removed name must be in the current gold, the new list must be the
current one less the removed names) and the same ``label_notes`` line appended. Nothing else moves.

    .venv/bin/python scripts/apply_relabel.py eval/data/relabel/2026-11-30-rules-P1-P12.jsonl
    .venv/bin/python scripts/apply_relabel.py eval/data/relabel/2026-12-01-organisations-P9.jsonl
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "eval" / "data"
DEV_FILES = [
    DATA / "diplomatic-dev.jsonl",
    DATA / "diplomatic-dev2.jsonl",
    DATA / "diplomatic-heldout.jsonl",
    *sorted((DATA / "wave3").glob("*.jsonl")),
    *sorted((DATA / "wave5").glob("*.jsonl")),
    *sorted((DATA / "wave7").glob("*.jsonl")),
    *sorted((DATA / "wave9").glob("*.jsonl")),
]
MENTIONS = sorted((DATA / "actor_mentions").glob("*.jsonl"))


def _dump(items: list[dict], path: Path) -> None:
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), "utf-8")


def _load(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]


def _apply(
    review: dict[str, dict], files: list[Path], change: Callable[[dict, dict], bool]
) -> set[str]:
    """Call ``change(item, review_line)`` on every DEV item the review names (it says whether it
    changed the item), rewrite the files it changed, and return the ids found. The loop both
    kinds of review share: test and validation items are refused, a missing id is an error."""
    done: set[str] = set()
    for path in files:
        items = _load(path)
        touched = False
        for item in items:
            d = review.get(item["id"])
            if d is None:
                continue
            if item.get("split", "dev") != "dev":
                raise SystemExit(f"{item['id']} is a {item['split']} item: never relabelled")
            touched = change(item, d) or touched
            done.add(item["id"])
        if touched:
            _dump(items, path)
    missing = sorted(set(review) - done)
    if missing:
        raise SystemExit(f"not found in the DEV collections: {missing}")
    return done


def apply_organizations(review_path: Path, files: list[Path] = DEV_FILES) -> int:
    """Replace the gold ``organizations`` of the review's items; returns how many now match it."""
    tag = f"[relabel {review_path.stem}]"

    def change(item: dict, d: dict) -> bool:
        if tag in item.get("label_notes", ""):
            return False
        gold = item["gold"]
        current = gold["organizations"]
        if not set(d["removed"]) <= set(current):
            raise SystemExit(f"{item['id']}: removed {d['removed']} not among {current}")
        if d["organizations"] != [o for o in current if o not in d["removed"]]:
            raise SystemExit(f"{item['id']}: new list is not the gold less the removed names")
        gold["organizations"] = list(d["organizations"])
        rules = ", ".join(d["rules"])
        removed = "; ".join(d["removed"])
        item["label_notes"] = (
            f"{item.get('label_notes', '')} {tag} ({rules}) removed: {removed}. {d['note']}"
        ).strip()
        return True

    return len(_apply({d["id"]: d for d in _load(review_path)}, files, change))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("review", type=Path)
    args = ap.parse_args()
    tag = f"[relabel {args.review.stem}]"
    lines = _load(args.review)
    if lines and "organizations" in lines[0]:
        print(f"{apply_organizations(args.review)} items' organisations relabelled")
        return 0
    acting: dict[str, set[str]] = {}

    def change(item: dict, d: dict) -> bool:
        gold = item["gold"]
        if not set(d["actors"]) <= set(gold["countries"]):
            raise SystemExit(f"{item['id']}: actors {d['actors']} not among its countries")
        acting[item["id"]] = set(d["actors"])
        if tag in item.get("label_notes", ""):
            return False
        gold["actors"] = sorted(d["actors"])
        gold["dyads"] = sorted("-".join(p) for p in itertools.combinations(gold["actors"], 2))
        gold["topics"] = sorted(d["topics"])
        rules = ", ".join(d["rules"])
        item["label_notes"] = f"{item.get('label_notes', '')} {tag} ({rules}) {d['note']}".strip()
        return True

    done = _apply({d["id"]: d for d in lines if d["changed"]}, DEV_FILES, change)
    dropped = 0
    for path in MENTIONS:
        rows = _load(path)
        for row in rows:
            if row["id"] in acting:
                keep = {c: s for c, s in row["acts"].items() if c in acting[row["id"]]}
                dropped += len(row["acts"]) - len(keep)
                row["acts"] = keep
        _dump(rows, path)
    print(f"{len(done)} items relabelled; {dropped} states dropped from the mention-level gold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
