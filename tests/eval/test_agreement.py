"""Labeller agreement (eval/agreement.py): the counts on invented labels match a hand count, and
the second labelling is a well-formed, blind-selectable set of wave3-dev items."""

from __future__ import annotations

from eval.agreement import SECOND, as_key, collect, doc_counts, load_second, prf
from eval.evaluate import FIELDS, WAVE3, dyads_of, load_items
from eval.intervals import micro_f1


def _lower(name: str, lang: str) -> str:
    # Stands in for canon_org_string (which loads the KB and spaCy): two spellings, one key.
    return name.lower()


FIRST = {
    "countries": ["FR", "DZ", "MA"],
    "persons": ["Nasser Bourita", "Ahmed Attaf"],
    "organizations": ["ONU", "ambassade de France"],
    "topics": ["diplomatic_missions", "talks_negotiations"],
    "actors": ["FR", "DZ", "MA"],
}
SECOND_LABELS = {
    "countries": ["FR", "DZ"],
    "persons": ["Bourita", "Emmanuel Macron"],
    "organizations": ["onu"],
    "topics": ["diplomatic_missions", "sanctions", "expulsions"],
    "actors": ["FR", "DZ"],
}


def test_counts_on_invented_labels_match_a_hand_count() -> None:
    c = doc_counts(SECOND_LABELS, FIRST, "fr", canon=_lower)
    assert c["countries"] == (2, 0, 1)
    # "Bourita" matches "Nasser Bourita" by surname; Macron is extra, Attaf missed.
    assert c["persons"] == (1, 1, 1)
    assert c["organizations"] == (1, 0, 1)  # "onu" and "ONU" share a key
    assert c["topics"] == (1, 2, 1)
    # Dyads from actors: DZ-FR agreed; DZ-MA and FR-MA only in the first.
    assert c["dyads"] == (1, 0, 2)
    # Topics by hand: P 1/3, R 1/2, F1 = 2PR/(P+R) = 0.4.
    assert round(prf([c["topics"]])[2], 6) == 0.4


def test_micro_over_documents_and_key_passthrough_for_the_enricher() -> None:
    docs = collect([(SECOND_LABELS, FIRST, "fr"), (FIRST, FIRST, "fr")], canon=_lower)
    assert set(docs) == set(FIELDS)
    # Countries over both documents: tp 2+3, fp 0, fn 1+0 -> P 1, R 5/6, F1 = 10/11.
    assert round(micro_f1(docs["countries"]), 6) == round(10 / 11, 6)
    # The enricher's organisations are keys already: only the gold side is canonicalised.
    enricher = {**FIRST, "organizations": ["id:un", "id:emb"]}
    keys = {"onu": "id:un", "ambassade de france": "id:emb"}
    ours = collect(
        [(enricher, FIRST, "fr")], canon=lambda n, lang: keys[n.lower()], pred_canon=as_key
    )
    assert ours["organizations"] == [(2, 0, 0)]


def test_second_labels_cover_the_first_14_dev_items_of_each_region() -> None:
    second = load_second(SECOND)
    expected = []
    first_gold = {}
    for region in ("eu-am", "af-me", "as-ml"):
        dev = [i for i in load_items(WAVE3 / f"{region}.jsonl") if i["split"] == "dev"][:14]
        expected += [i["id"] for i in dev]
        first_gold.update({i["id"]: (i["lang"], i["gold"]) for i in dev})
    assert [s["id"] for s in second] == expected
    for s in second:
        g2 = s["gold2"]
        assert set(g2) == set(FIELDS), s["id"]
        assert s["lang"] == first_gold[s["id"]][0]
        assert set(g2["actors"]) <= set(g2["countries"]), s["id"]
        assert set(g2["dyads"]) == dyads_of(g2["actors"]), s["id"]
        # The scorer recomputes dyads from actors on both sides: valid only if the first
        # gold's stored dyads are exactly those pairs too.
        g1 = first_gold[s["id"]][1]
        assert set(g1["dyads"]) == dyads_of(g1["actors"]), s["id"]
        assert "blind" in s["labelled"]
