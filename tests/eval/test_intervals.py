"""The bootstrap intervals that every quality figure is reported with (pure functions)."""

from __future__ import annotations

import pytest

from eval.intervals import bootstrap_f1, micro_f1, paired_difference, sum_by_document


def test_micro_f1_sums_counts_over_documents() -> None:
    # 3 tp, 1 fp, 2 fn in all: P 0.75, R 0.6, F1 2/3.
    assert round(micro_f1([(2, 1, 0), (1, 0, 2)]), 4) == round(2 * 0.75 * 0.6 / 1.35, 4)


def test_interval_contains_the_figure_and_narrows_with_more_documents() -> None:
    docs = [(1, 0, 0)] * 15 + [(0, 1, 1)] * 5  # F1 0.75 on 20 documents
    lo, hi = bootstrap_f1(docs)
    assert lo < 0.75 < hi
    lo4, hi4 = bootstrap_f1(docs * 4)  # the same mix on 80 documents
    assert lo4 < 0.75 < hi4
    assert hi4 - lo4 < hi - lo


def test_a_set_with_no_disagreement_has_a_point_interval() -> None:
    assert bootstrap_f1([(2, 0, 0)] * 10) == (1.0, 1.0)


def test_seeded_the_same_set_gives_the_same_interval() -> None:
    docs = [(1, 0, 1), (2, 1, 0), (0, 0, 1), (3, 0, 0)]
    assert bootstrap_f1(docs) == bootstrap_f1(list(docs))


def test_paired_difference_separates_a_clear_win_from_noise() -> None:
    better = [(1, 0, 0)] * 30
    worse = [(0, 1, 1)] * 10 + [(1, 0, 0)] * 20
    lo, hi = paired_difference(better, worse)
    assert lo > 0  # better on every resample
    lo, hi = paired_difference(better, better)
    assert (lo, hi) == (0.0, 0.0)


def test_sum_by_document_pools_runs_per_document() -> None:
    # Two fold seeds over the same three documents: one unit per document, counts added.
    runs = [[(1, 0, 0), (0, 1, 2), (3, 0, 0)], [(1, 1, 0), (0, 0, 2), (2, 0, 1)]]
    assert sum_by_document(runs) == [(2, 1, 0), (0, 1, 4), (5, 0, 1)]
    assert sum_by_document([]) == []
    with pytest.raises(ValueError):
        sum_by_document([[(1, 0, 0)], [(1, 0, 0), (0, 0, 1)]])
