"""eval.languages' person matching: a KB official found in the text matches the gold name as the
article writes it (surname only, traditional characters), not only the KB's canonical name."""

from __future__ import annotations

from diplowire.enrich.kbonly import matcher
from eval.languages import match_persons


def test_gold_names_as_written_match_the_kb_person() -> None:
    # Dev items w3-ml-zh-01 (whb.cn) and w3-ml-zh-26 (bastillepost.com, traditional characters).
    text = (
        "访问南非期间,王毅国务委员兼外长将会见南非总统拉马福萨,同南非外长潘多尔举行会谈。\n"
        "希望意方積極參與國家主席習近平提出的全球治理倡議,與中方一同踐行真正的多邊主義。"
    )
    found = matcher("zh").analyze(text).persons
    assert {"西里尔·拉马福萨", "习近平"} <= {p.name for p in found}
    tp, fp, fn = match_persons(found, ["拉马福萨", "習近平"])
    assert (tp, fn) == (2, 0) and fp == len(found) - 2
    # A gold name nobody found is still a miss.
    assert match_persons(found, ["马塔雷拉"])[2] == 1
