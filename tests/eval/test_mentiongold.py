"""Mention-level actor gold (eval/data/actor_mentions/): the committed files validate, and the
cross-validation's row labels follow the snippets."""

from eval import mentiongold
from eval.actors_train import build
from eval.devdata import allowed_items


def test_the_committed_files_validate_and_cover_every_allowed_document() -> None:
    assert mentiongold.main([]) == 0
    gold = mentiongold.load()
    assert set(gold) == set(mentiongold.allowed_by_id())


def test_a_record_naming_a_state_that_is_not_a_gold_actor_is_refused() -> None:
    items = mentiongold.allowed_by_id()
    rid, (set_name, item) = next(iter(items.items()))
    acts = {c: [] for c in item["gold"].get("actors", [])}
    acts["ZZ"] = [item["text"][:20]]
    problems = mentiongold.check_record({"id": rid, "set": set_name, "acts": acts}, items)
    assert any("differ from the gold actors" in p.what for p in problems)


def test_spans_finds_every_occurrence() -> None:
    assert mentiongold.spans("a b a b", ["a b"]) == [(0, 3), (4, 7)]


def test_rows_outside_the_acting_sentences_are_not_positives() -> None:
    gold = mentiongold.load()
    wanted = "w3-af-me-fr-05"
    items = [(s, it) for s, it in allowed_items() if it["id"] == wanted]
    (doc,) = build(items, mention_gold=gold)
    (plain,) = build(items)
    assert doc.row_gold is not None and plain.row_gold is None
    assert len(doc.row_gold) == len(doc.rows)
    positives = {r.code for r, y in zip(doc.rows, doc.row_gold, strict=True) if y == 1.0}
    assert positives and positives <= doc.gold
    # Some mentions of acting states are outside every acting sentence (background, venues).
    assert any(y == 0.0 and r.code in doc.gold for r, y in zip(doc.rows, doc.row_gold, strict=True))
    (excl,) = build(items, mention_gold=gold, non_acting="exclude")
    assert excl.row_gold is not None and -1.0 in excl.row_gold
