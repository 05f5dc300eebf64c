"""The enricher's whole output on the DEV documents, for checking that a change alters nothing.

    .venv/bin/python -m eval.dumpfacts before.jsonl      # on the tree before the change
    .venv/bin/python -m eval.dumpfacts after.jsonl       # after it
    cmp before.jsonl after.jsonl && sha256sum before.jsonl

One line per document (``diplo.analyze``'s DiploFacts, msgspec JSON: countries with actor flags
and mentions, dyads, persons, organisations, topics with scores and evidence), in
``eval.devdata.allowed_items`` order: DEV only, never a test or validation split. Sessions
before this tool did the same with scratch scripts (eval/results/lexicon-move-2026-12-01.txt).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

import msgspec

from diplowire.enrich import diplo
from eval.devdata import allowed_items
from eval.evaluate import parsed


def dump(out: Path) -> str:
    """Writes the dump; returns its sha256."""
    items = [item for _, item in allowed_items()]
    lines: list[bytes] = [b""] * len(items)
    for i, lang, _, doc in parsed(items):
        facts = diplo.analyze(doc, lang, items[i].get("published"))
        lines[i] = msgspec.json.encode({"id": items[i]["id"], "lang": lang, "facts": facts})
    data = b"\n".join(lines) + b"\n"
    out.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("out", type=Path)
    args = ap.parse_args(argv)
    digest = dump(args.out)
    print(f"{args.out}: {len(allowed_items())} documents, sha256 {digest}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
