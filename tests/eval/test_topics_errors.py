"""Per-topic out-of-fold errors and the override's share (eval/topics_errors.py, session 11)."""

import pytest

from eval.topics_cv import DocData
from eval.topics_errors import topic_errors


def _doc(gold: set[str]) -> DocData:
    return DocData(
        id="x", source="dev", lang="en", rows=(), rules=frozenset(), gold=frozenset(gold)
    )


def test_counts_split_the_override_additions_into_right_and_wrong() -> None:
    docs = [_doc({"sanctions"}), _doc({"talks_negotiations", "summits_visits"})]
    # Two runs (fold seeds). Run 1: the override adds a right sanctions and a wrong treaties;
    # run 2: the model alone keeps sanctions, the override adds nothing.
    alone = [
        [set(), {"talks_negotiations"}],
        [{"sanctions"}, {"talks_negotiations", "treaties_agreements"}],
    ]
    with_named = [
        [{"sanctions"}, {"talks_negotiations", "treaties_agreements"}],
        [{"sanctions"}, {"talks_negotiations", "treaties_agreements"}],
    ]
    table = topic_errors(docs, with_named, alone)
    s = table["sanctions"]
    assert (s.gold, s.kept_true, s.kept_false, s.missed) == (1, 1, 0, 0)
    assert (s.added_true, s.added_false) == (0.5, 0)  # added in one run of two
    t = table["treaties_agreements"]
    assert (t.kept_false, t.added_true, t.added_false, t.precision) == (1, 0, 0.5, 0.0)
    v = table["summits_visits"]
    assert (v.gold, v.missed, v.recall) == (1, 1, 0.0)
    assert table["talks_negotiations"].precision == 1.0


def test_runs_must_pair_up() -> None:
    with pytest.raises(ValueError):
        topic_errors([_doc(set())], [[set()]], [])
