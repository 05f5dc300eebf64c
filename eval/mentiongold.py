"""Mention-level actor gold (issue 12 part 2): where in a document each gold actor acts.

    .venv/bin/python -m eval.mentiongold            # validate every file in data/actor_mentions/
    .venv/bin/python -m eval.mentiongold FILE ...   # validate some files

The document-level gold says *which* states act; the actor classifier scores each *mention*, and
until now every mention of an acting state was a positive example, background mentions
included. These files say, for the documents one may train on (never wave3-test, never
wave 4), which sentences make each gold actor act, by verbatim snippets of the text: one JSON
object a line, ``{"id", "set", "acts": {code: [snippet, ...]}, "note"}``. A snippet is an exact
substring of ``title + "\\n\\n" + text`` (the text the enricher reads). ``acts`` has a key for
every gold actor of the item and no other; an empty list says the state acts in no sentence one
can point to (the note says why). The gold itself is never changed here.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.evaluate import DATA, SETS, WAVE3, document_text, load_items, load_split

FOLDER = DATA / "actor_mentions"
ALLOWED_SETS = ("dev", "dev2", "heldout", "wave3-dev")


def allowed_by_id() -> dict[str, tuple[str, dict[str, Any]]]:
    out = {
        it["id"]: (name, it) for name in ("dev", "dev2", "heldout") for it in load_items(SETS[name])
    }
    out.update({it["id"]: ("wave3-dev", it) for it in load_split(WAVE3, "dev")})
    return out


@dataclass(frozen=True)
class Problem:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def check_record(
    rec: dict[str, Any], items: dict[str, tuple[str, dict[str, Any]]]
) -> list[Problem]:
    rid = str(rec.get("id"))
    if rid not in items:
        return [Problem(rid, "not an item of an allowed set (dev, dev2, heldout, wave3-dev)")]
    set_name, item = items[rid]
    out = []
    if rec.get("set") != set_name:
        out.append(Problem(rid, f"set is {rec.get('set')!r}, the item is in {set_name!r}"))
    acts = rec.get("acts")
    if not isinstance(acts, dict):
        return [*out, Problem(rid, "acts must be an object {code: [snippet, ...]}")]
    gold = set(item["gold"].get("actors", []))
    if set(acts) != gold:
        out.append(
            Problem(rid, f"acts keys {sorted(acts)} differ from the gold actors {sorted(gold)}")
        )
    text = document_text(item)
    for code, snippets in acts.items():
        if not isinstance(snippets, list):
            out.append(Problem(rid, f"{code}: a list of snippets is needed"))
            continue
        for s in snippets:
            if not isinstance(s, str) or not s.strip():
                out.append(Problem(rid, f"{code}: empty snippet"))
            elif s not in text:
                out.append(Problem(rid, f"{code}: not a verbatim substring: {s!r}"))
        if not snippets and not rec.get("note"):
            out.append(Problem(rid, f"{code}: no snippet and no note saying why"))
    return out


def load(folder: Path = FOLDER) -> dict[str, dict[str, list[str]]]:
    """id -> {code: snippets} of every record in ``folder``."""
    out: dict[str, dict[str, list[str]]] = {}
    for path in sorted(folder.glob("*.jsonl")):
        for rec in load_items(path):
            out[rec["id"]] = {c: list(s) for c, s in rec["acts"].items()}
    return out


def spans(text: str, snippets: list[str]) -> list[tuple[int, int]]:
    """Character spans of every occurrence of every snippet."""
    out = []
    for s in snippets:
        start = text.find(s)
        while start >= 0:
            out.append((start, start + len(s)))
            start = text.find(s, start + 1)
    return out


def main(argv: list[str]) -> int:
    items = allowed_by_id()
    paths = [Path(a) for a in argv] or sorted(FOLDER.glob("*.jsonl"))
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    n = 0
    for path in paths:
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                problems.append(Problem(f"{path.name}:{line_no}", f"not JSON: {e}"))
                continue
            n += 1
            rid = str(rec.get("id"))
            if rid in seen:
                problems.append(Problem(rid, f"also in {seen[rid].name}"))
            seen[rid] = path
            problems += check_record(rec, items)
    for p in problems:
        print(p)
    print(f"{n} records, {len(problems)} problems", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
