"""The wave-3 test split is frozen: labelled before the enricher ran on it, scored once per
release, never tuned on. Any edit to a test item (text or label), an item added to or removed
from the split, or a changed split rule fails here; a deliberate change must say why in
eval/README.md and update the pin."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

import pytest

from eval.evaluate import (
    WAVE3,
    WAVE4,
    WAVE5,
    WAVE6,
    WAVE7,
    WAVE8,
    WAVE9,
    WAVE10,
    WAVE11,
    WAVE12,
    WAVE13,
    load_items,
    load_split,
)

FROZEN_SHA256 = "4188b4429c261e003dfa9c3f16a70cddd6749135625b305aba89630a8f9b858c"
FROZEN_COUNT = 97


def _rule(url: str) -> str:
    return "test" if int(hashlib.sha256(url.encode()).hexdigest(), 16) % 5 in (0, 1) else "dev"


def test_the_test_split_is_unchanged() -> None:
    test = sorted(load_split(WAVE3, "test"), key=lambda i: i["id"])
    blob = "\n".join(json.dumps(i, ensure_ascii=False, sort_keys=True) for i in test)
    assert len(test) == FROZEN_COUNT
    assert hashlib.sha256(blob.encode()).hexdigest() == FROZEN_SHA256


def test_every_item_is_in_the_split_its_url_decides() -> None:
    items = [i for p in sorted(WAVE3.glob("*.jsonl")) for i in load_items(p)]
    assert len(items) >= 200
    assert all(i["split"] == _rule(i["source_url"]) for i in items)
    assert len({i["source_url"] for i in items}) == len(items)
    assert len({i["id"] for i in items}) == len(items)


LANGUAGES = WAVE3.parent / "languages"
LANGUAGES_SHA256 = "587c528bada231f2af657033675bbfedd6f599a7bcc840766ddc4a1fa67895ee"
LANGUAGES_COUNT = 69
# The first batch (116 items, labelled before any rule for these languages existed) ends at these
# numbers; its 39 test items keep their own pin, so the second batch (issue 15 task D) could only
# add items, never edit one.
FIRST_BATCH_LAST = {"de": 16, "es": 17, "pt": 15, "it": 16, "ru": 15, "ar": 16, "zh": 23}
FIRST_BATCH_SHA256 = "9c08c03811b21310762b5e292d5f9585c27a96b1e2981ec935672d32f78c3cab"
FIRST_BATCH_COUNT = 39


def _digest(items: list[dict[str, object]]) -> str:
    blob = "\n".join(json.dumps(i, ensure_ascii=False, sort_keys=True) for i in items)
    return hashlib.sha256(blob.encode()).hexdigest()


def test_the_languages_test_split_is_unchanged() -> None:
    """Issue 15's labelled articles in de, es, pt, it, ru, ar, zh: the same freeze."""
    items = load_items(LANGUAGES / "labelled.jsonl")
    assert all(i["split"] == _rule(i["source_url"]) for i in items)
    assert len({i["source_url"] for i in items}) == len({i["id"] for i in items}) == len(items)
    test = sorted((i for i in items if i["split"] == "test"), key=lambda i: i["id"])
    assert len(test) == LANGUAGES_COUNT
    assert _digest(test) == LANGUAGES_SHA256
    assert {i["lang"] for i in test} == {"de", "es", "pt", "it", "ru", "ar", "zh"}
    first = [i for i in test if int(i["id"].rsplit("-", 1)[1]) <= FIRST_BATCH_LAST[i["lang"]]]
    assert len(first) == FIRST_BATCH_COUNT
    assert _digest(first) == FIRST_BATCH_SHA256


WAVE4_SHA256 = "24ad3c5a79e3d8bf3b76d32dbd2a3a8a4f69bc1478d89807b7c19bb29ea390e4"
WAVE4_COUNT = 80


def _domain(url: str) -> str:
    host = urlparse(url).netloc.lower()
    return host.removeprefix("www.")


def test_the_wave4_validation_set_is_unchanged() -> None:
    """Wave 4 (issue 12's second never-tuned-on set) was labelled before the enricher ran on it
    and is read only by scoring: the same freeze as wave3-test, over the whole set."""
    items = [i for p in sorted(WAVE4.glob("*.jsonl")) for i in load_items(p)]
    assert all(i["split"] == "val" for i in items)
    val = sorted(load_split(WAVE4, "val"), key=lambda i: i["id"])
    assert len(val) == WAVE4_COUNT
    assert _digest(val) == WAVE4_SHA256
    assert len({i["source_url"] for i in val}) == len({i["id"] for i in val}) == len(val)


def test_no_wave4_url_or_outlet_appears_in_an_earlier_set() -> None:
    """Wave 4 checks generalisation only if its outlets are new: no wave-4 URL or domain may
    occur in any earlier labelled set (dev, dev2, heldout, test, wave 3, the languages set)."""
    earlier = [
        i
        for p in sorted(WAVE3.parent.rglob("*.jsonl"))
        if WAVE4 not in p.parents
        for i in load_items(p)
        if i.get("source_url")
    ]
    assert len(earlier) >= 400
    wave4 = [i for p in sorted(WAVE4.glob("*.jsonl")) for i in load_items(p)]
    assert {i["source_url"] for i in wave4}.isdisjoint(i["source_url"] for i in earlier)
    old_domains = {_domain(i["source_url"]) for i in earlier}
    assert {_domain(i["source_url"]) for i in wave4}.isdisjoint(old_domains)
    assert len({_domain(i["source_url"]) for i in wave4}) == len(wave4)


def _outside(folders: tuple[object, ...]) -> list[dict[str, object]]:
    return [
        i
        for p in sorted(WAVE3.parent.rglob("*.jsonl"))
        if not any(f in p.parents for f in folders)
        for i in load_items(p)
        if i.get("source_url")
    ]


def test_wave5_outlets_are_new_to_every_set_before_it() -> None:
    """Wave 5 was scored once as unseen news before it became a dev set: that scoring only means
    something if none of its URLs or outlets occur in the sets before it."""
    wave5 = [i for p in sorted(WAVE5.glob("*.jsonl")) for i in load_items(p)]
    assert len(wave5) == 150 and {i["split"] for i in wave5} == {"dev"}
    earlier = _outside((WAVE5, WAVE6, WAVE7))
    assert len(earlier) >= 480
    assert {i["source_url"] for i in wave5}.isdisjoint(i["source_url"] for i in earlier)
    assert {_domain(str(i["source_url"])) for i in wave5}.isdisjoint(
        _domain(str(i["source_url"])) for i in earlier
    )
    per_domain = Counter(_domain(i["source_url"]) for i in wave5)
    assert max(per_domain.values()) <= 2


WAVE6_SHA256 = "ab889f1427b28a4248c6a5e4966c52147ed40889bc104c567d73c5da0ce90b0e"
WAVE6_COUNT = 90


def test_the_wave6_validation_set_is_unchanged_and_its_outlets_are_new() -> None:
    """Wave 6 checks whether changes written from wave 5's errors carry over: it is pinned, and
    none of its URLs or outlets occur in any other set."""
    val = sorted(load_split(WAVE6, "val"), key=lambda i: i["id"])
    assert len(val) == WAVE6_COUNT
    assert _digest(val) == WAVE6_SHA256
    others = _outside((WAVE6,))
    assert {i["source_url"] for i in val}.isdisjoint(i["source_url"] for i in others)
    assert {_domain(i["source_url"]) for i in val}.isdisjoint(
        _domain(str(i["source_url"])) for i in others
    )


def test_wave7_outlets_are_new_to_every_other_set() -> None:
    """Wave 7 was scored once as unseen news before it joined the training data."""
    wave7 = [i for p in sorted(WAVE7.glob("*.jsonl")) for i in load_items(p)]
    assert len(wave7) == 150 and {i["split"] for i in wave7} == {"dev"}
    others = _outside((WAVE7,))
    assert {i["source_url"] for i in wave7}.isdisjoint(i["source_url"] for i in others)
    assert {_domain(i["source_url"]) for i in wave7}.isdisjoint(
        _domain(str(i["source_url"])) for i in others
    )
    assert max(Counter(_domain(i["source_url"]) for i in wave7).values()) <= 2


WAVE8_SHA256 = "5745c9f3011171c82870174bcd08a5a942e9b90a81a3197917a98ef92a45021b"
WAVE8_COUNT = 60


def test_the_wave8_validation_set_is_unchanged_and_each_item_is_a_new_outlet() -> None:
    """Wave 8 validates session 8's changes once: pinned, one item per outlet, and none of its
    URLs or outlets occur in any other set."""
    val = sorted(load_split(WAVE8, "val"), key=lambda i: i["id"])
    assert len(val) == WAVE8_COUNT
    assert _digest(val) == WAVE8_SHA256
    assert Counter(i["lang"] for i in val) == {"fr": 30, "en": 30}
    domains = [_domain(str(i["source_url"])) for i in val]
    assert len(set(domains)) == len(domains)
    others = _outside((WAVE8,))
    assert {i["source_url"] for i in val}.isdisjoint(i["source_url"] for i in others)
    assert set(domains).isdisjoint(_domain(str(i["source_url"])) for i in others)


def test_wave9_outlets_are_new_to_every_other_set() -> None:
    """Wave 9 was scored once as unseen news (release 5) before it joined the training data."""
    wave9 = [i for p in sorted(WAVE9.glob("*.jsonl")) for i in load_items(p)]
    assert len(wave9) == 150 and {i["split"] for i in wave9} == {"dev"}
    others = _outside((WAVE9,))
    assert {i["source_url"] for i in wave9}.isdisjoint(i["source_url"] for i in others)
    assert {_domain(i["source_url"]) for i in wave9}.isdisjoint(
        _domain(str(i["source_url"])) for i in others
    )
    assert max(Counter(_domain(i["source_url"]) for i in wave9).values()) <= 2


def _new_outlets_one_each(items: list[dict[str, object]], folder: object) -> None:
    """One item per outlet, and none of the items' URLs or outlets in any set outside ``folder``."""
    domains = [_domain(str(i["source_url"])) for i in items]
    assert len(set(domains)) == len(domains)
    others = _outside((folder,))
    assert {i["source_url"] for i in items}.isdisjoint(i["source_url"] for i in others)
    assert set(domains).isdisjoint(_domain(str(i["source_url"])) for i in others)


WAVE10_SHA256 = "9465dac67e4b544f27ccc8f862673237e8e56c7ee507d233ebfb0b90e9b28ffb"
WAVE12_SHA256 = "fa367667f1335c16604ee270d12e27f9dd55c14dcd7829ad0e9feb9648b3fdcf"
WAVE13_SHA256 = "bec91c214ca1c5b86e772fa4691549dadc7e5863e5915718ed7c98f0a6a6e5d7"


@pytest.mark.parametrize(
    ("folder", "sha256"),
    [(WAVE10, WAVE10_SHA256), (WAVE12, WAVE12_SHA256), (WAVE13, WAVE13_SHA256)],
    ids=["wave10", "wave12", "wave13"],
)
def test_a_rules_era_validation_set_is_unchanged_and_each_item_is_a_new_outlet(
    folder: Path, sha256: str
) -> None:
    """Waves 10, 12 and 13 validate releases 7, 9 and 10 once (sessions 10, 12, 13): pinned,
    40 + 40 by language, one item per outlet, and none of their URLs or outlets occur in any
    other set."""
    val = sorted(load_split(folder, "val"), key=lambda i: i["id"])
    assert len(val) == 80
    assert _digest(val) == sha256
    assert Counter(i["lang"] for i in val) == {"fr": 40, "en": 40}
    _new_outlets_one_each(val, folder)


def test_wave11_is_dev_from_new_outlets_one_item_each() -> None:
    """Wave 11 (session 12) was scored once as unseen news at release 7 before it became DEV:
    that scoring means something only if none of its URLs or outlets occur in any other set."""
    items = [i for p in sorted(WAVE11.glob("*.jsonl")) for i in load_items(p)]
    assert len(items) == 192
    assert all(i["split"] == "dev" for i in items)
    assert Counter(i["lang"] for i in items) == {"fr": 96, "en": 96}
    _new_outlets_one_each(items, WAVE11)
