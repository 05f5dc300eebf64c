"""Language detection (low-accuracy lingua) against the gold ``lang`` of the labelled sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diplowire.enrich import lang

DATA = Path(__file__).resolve().parents[2] / "eval" / "data"


def _items() -> list[dict[str, str]]:
    out = []
    for name in ("diplomatic-dev.jsonl", "diplomatic-heldout.jsonl"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            out.append(json.loads(line))
    return out


@pytest.mark.parametrize("hint", [False, True])
@pytest.mark.parametrize("part", ["body", "title"])
def test_detects_the_gold_language_of_every_labelled_item(part: str, hint: bool) -> None:
    wrong, undetermined = [], []
    for item in _items():
        text = f"{item['title']}\n\n{item['text']}" if part == "body" else item["title"]
        code, _ = lang.detect(text, item["lang"] if hint else None)
        if code == lang.UNDETERMINED:
            undetermined.append(item["id"])
        elif code != item["lang"]:
            wrong.append(item["id"])
    # No item gets a wrong language. Titles alone, without a hint, two are left undetermined:
    # "Russia expels 10 U.S. diplomats" (lingua: Dutch 0.68; German 0.44 in its high-accuracy
    # mode) and "Visa Services in Damascus Suspended" (English, but below 0.9); with the hint both
    # are English.
    assert wrong == []
    assert undetermined == (["en-02", "en-11"] if part == "title" and not hint else [])


def test_short_or_empty_text_falls_back_to_the_hint() -> None:
    assert lang.detect("  ok  ", "fr") == ("fr", 0.0)
    assert lang.detect("", None) == ("und", 0.0)
