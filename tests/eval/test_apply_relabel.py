"""scripts/apply_relabel.py, organisations reviews (LABELLING.md part 5, rule P9): the gold list
is replaced, one note appended, a second run changes nothing, test items are refused, and the
committed review matches the DEV data it was applied to."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REVIEW = ROOT / "eval" / "data" / "relabel" / "2026-12-01-organisations-P9.jsonl"

_spec = importlib.util.spec_from_file_location(
    "apply_relabel", ROOT / "scripts" / "apply_relabel.py"
)
assert _spec is not None and _spec.loader is not None
apply_relabel = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(apply_relabel)


def _item(id_: str, orgs: list[str], split: str = "dev") -> dict:
    return {"id": id_, "split": split, "gold": {"organizations": orgs}, "label_notes": "old."}


def _write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


def _review(path: Path, id_: str, new: list[str], removed: list[str]) -> None:
    line = {"id": id_, "organizations": new, "removed": removed, "rules": ["P9"], "note": "why."}
    _write(path, [line])


def test_organisations_replaced_once(tmp_path: Path) -> None:
    data = tmp_path / "set.jsonl"
    _write(data, [_item("a", ["Ministry of Foreign Affairs", "UN"]), _item("b", ["NATO"])])
    review = tmp_path / "2026-12-01-organisations-P9.jsonl"
    _review(review, "a", ["UN"], ["Ministry of Foreign Affairs"])
    assert apply_relabel.apply_organizations(review, [data]) == 1
    first = data.read_text("utf-8")
    a, b = (json.loads(x) for x in first.splitlines())
    assert a["gold"]["organizations"] == ["UN"]
    assert a["label_notes"].startswith("old. [relabel 2026-12-01-organisations-P9] (P9) removed:")
    assert b["gold"]["organizations"] == ["NATO"] and b["label_notes"] == "old."
    apply_relabel.apply_organizations(review, [data])
    assert data.read_text("utf-8") == first


def test_refuses_test_items_and_inconsistent_lists(tmp_path: Path) -> None:
    data = tmp_path / "set.jsonl"
    _write(data, [_item("t", ["Foreign Ministry"], split="test"), _item("d", ["UN", "EU"])])
    review = tmp_path / "r.jsonl"
    _review(review, "t", [], ["Foreign Ministry"])
    with pytest.raises(SystemExit, match="test item"):
        apply_relabel.apply_organizations(review, [data])
    _review(review, "d", ["EU", "AU"], ["UN"])
    with pytest.raises(SystemExit, match="less the removed"):
        apply_relabel.apply_organizations(review, [data])
    _review(review, "missing", [], [])
    with pytest.raises(SystemExit, match="not found"):
        apply_relabel.apply_organizations(review, [data])


def test_committed_review_is_applied() -> None:
    gold = {}
    for path in apply_relabel.DEV_FILES:
        for item in map(json.loads, path.read_text("utf-8").splitlines()):
            if item.get("split", "dev") == "dev":
                gold[item["id"]] = item
    lines = [json.loads(x) for x in REVIEW.read_text("utf-8").splitlines()]
    assert len(lines) == 27
    for line in lines:
        item = gold[line["id"]]
        assert item["gold"]["organizations"] == line["organizations"]
        assert not set(line["removed"]) & set(item["gold"]["organizations"])
        assert f"[relabel {REVIEW.stem}]" in item["label_notes"]
