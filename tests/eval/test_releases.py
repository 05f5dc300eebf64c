"""eval/releases.py: the pooled and per-set rows of a release comparison, on hand-counted input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eval import devdata, releases


def _record(commit: str, actors: list[list[int]], trivial: list[list[int]]) -> dict[str, Any]:
    zero = [[0, 0, 0]] * len(actors)
    ours = {f: zero for f in releases.FIELDS}
    ours["actors"] = actors
    return {
        "commit": commit,
        "ids": ["a", "b", "c"],
        "sets": ["wave4-val", "wave4-val", "wave10-val"],
        "ours": ours,
        "trivial": {"actors": trivial, "dyads": zero},
    }


def test_compare_pools_by_set_and_pairs_the_documents() -> None:
    old = _record("old", [[1, 1, 0], [1, 0, 1], [2, 0, 0]], [[1, 1, 0], [1, 1, 1], [2, 2, 0]])
    new = _record("new", [[2, 0, 0], [1, 0, 1], [2, 0, 0]], [[1, 1, 0], [1, 1, 1], [2, 2, 0]])
    text = releases.compare(old, new)
    actors = text.split("actors\n", 1)[1].splitlines()
    # wave4-val: old tp 2 fp 1 fn 1 -> F1 0.667; new tp 3 fp 0 fn 1 -> 0.857
    assert any(line.split()[0] == "wave4-val" and "0.667 -> 0.857" in line for line in actors)
    assert any(line.split()[0] == "wave10-val" and "1.000 -> 1.000" in line for line in actors)
    # No pool row: unseen327 and all need sets this input does not have.
    assert not any(line.split()[0] in releases.POOLS for line in actors[:2])
    # ours vs trivial on wave10-val: 1.000 vs 2/3 (tp 2, fp 2) = 0.667
    assert "actors wave10-val  1.000 vs 0.667 (+0.333)" in text


def test_compare_refuses_different_documents() -> None:
    a = _record("a", [[1, 0, 0]] * 3, [[1, 0, 0]] * 3)
    b = {**a, "ids": ["a", "b", "x"]}
    with pytest.raises(SystemExit, match="different documents"):
        releases.compare(a, b)


def test_export_dev_writes_the_dev_documents_by_collection(tmp_path: Path) -> None:
    out = tmp_path / "dev.jsonl"
    assert releases.main(["export", "--dev", "--out", str(out)]) == 0
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(items) == len(devdata.allowed_items())
    assert {i["set"] for i in items} == {s for s, _ in devdata.allowed_items()}
    assert all(i.get("split") not in ("test", "val") for i in items)
    assert not {i["set"] for i in items} & set(releases.UNSEEN)
