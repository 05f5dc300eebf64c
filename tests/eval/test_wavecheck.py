"""eval.wavecheck: the checks a labeller runs on a new collection's file before committing it."""

from __future__ import annotations

import json
from pathlib import Path

from eval import wavecheck
from eval.evaluate import WAVE9, load_items


def _record() -> dict[str, object]:
    return dict(load_items(sorted(WAVE9.glob("*.jsonl"))[0])[0])


def test_a_committed_dev_record_has_no_problem() -> None:
    assert wavecheck.problems(_record()) == []


def test_wrong_pairs_foreign_topics_and_non_country_actors_are_named() -> None:
    item = _record()
    gold = dict(item["gold"])  # type: ignore[call-overload]
    gold["dyads"] = []
    gold["actors"] = [*gold["actors"], "ZZ"]
    gold["topics"] = ["weather"]
    item["gold"] = gold
    found = " | ".join(wavecheck.problems(item))
    assert "dyads are not every pair" in found
    assert "actors not among countries: ['ZZ']" in found
    assert "topics not in the taxonomy: ['weather']" in found


def test_an_outlet_of_another_labelled_file_is_refused(tmp_path: Path) -> None:
    item = _record()
    path = tmp_path / "new.jsonl"
    path.write_text(json.dumps(item, ensure_ascii=False) + "\n", encoding="utf-8")
    found = wavecheck.check([path])
    assert any("is used by another labelled file" in line for line in found), found
    assert wavecheck.known_hosts()[wavecheck.host(str(item["source_url"]))] >= 1


def test_an_id_of_another_labelled_file_is_refused(tmp_path: Path) -> None:
    item = _record()
    item["source_url"] = "https://outlet-never-used.example/a"
    path = tmp_path / "new.jsonl"
    path.write_text(json.dumps(item, ensure_ascii=False) + "\n", encoding="utf-8")
    assert any("id used twice" in line for line in wavecheck.check([path]))
