"""eval.dumpfacts: the enricher's whole output per DEV document, the same bytes on each run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eval import devdata, dumpfacts


def test_three_dev_documents_dump_the_same_bytes_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    three = devdata.allowed_items()[:3]

    def first_three(*_: Any, **__: Any) -> list[tuple[str, dict[str, Any]]]:
        return three

    monkeypatch.setattr(dumpfacts, "allowed_items", first_three)
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert dumpfacts.dump(a) == dumpfacts.dump(b)
    assert a.read_bytes() == b.read_bytes()
    rows = [json.loads(line) for line in a.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [item["id"] for _, item in three]
    # The facts themselves, not a summary: the countries with their actor flags are there.
    assert all("countries" in r["facts"] and "topics" in r["facts"] for r in rows)
    assert any(c.get("actor") for r in rows for c in r["facts"]["countries"])
