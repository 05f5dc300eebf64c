"""What may be trained and tuned on (issue 12): the DEV documents, and folds over them.

Never a test split or a validation set: the frozen wave3-test split, wave4/6/8/10-val and the old
test set are not loaded here. Every learned model (``scripts/train_actors.py``,
``scripts/train_topics.py``) and every cross-validation (``eval.actors_cv``, ``eval.topics_cv``)
reads its documents through :func:`allowed_items`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from eval.evaluate import SETS, WAVE3, load_items, load_set, load_split

ALLOWED = ("dev", "dev2", "heldout")


LATER = ("wave5-dev", "wave7-dev", "wave9-dev", "wave11-dev")
"""Sessions 7, 8 and 12's collections from new outlets, each scored once as unseen news, then
trained on (wave11-dev: the first labelled under LABELLING.md's decided rules from the start)."""


def allowed_items(
    later: Sequence[str] = LATER, *, wave5: bool = True
) -> list[tuple[str, dict[str, Any]]]:
    """(source, item) of every item one may train and tune on; never a test split, wave 4 or
    wave 6. ``later`` picks which of session 7's collections join (``()``: the 174 documents the
    model had before them), so a change can be trained without one and scored on it;
    ``wave5=False`` is ``later=()`` (kept for callers written before wave 7)."""
    later = later if wave5 else ()
    out = [(name, item) for name in ALLOWED for item in load_items(SETS[name])]
    out += [("wave3-dev", item) for item in load_split(WAVE3, "dev")]
    for name in later:
        out += [(name, item) for item in load_set(name)]
    return out


def folds_of(n: int, k: int, seed: int) -> list[list[int]]:
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return [order[f::k] for f in range(k)]
