"""Train the learned topic decision (``enrich/diplo/topicdecision.py``: a logistic regression
over the evidence features of each candidate topic, ``topicfeatures.FEATURES``) on every item one
may tune on and write its weights to ``enrich/kb/topic_model.json``.

Data: dev, dev2, held-out, the wave-3 dev split, wave5-dev and wave7-dev (``--later``; wave9-dev
and wave11-dev can join: ``eval/devdata.allowed_items``); never the frozen
wave3-test split, wave4/6/8/10-val nor the old test set. The threshold comes from inner 3-fold
cross-validations inside the data (three seeded splits pooled, as in ``eval/topics_cv.py``);
gradient descent starts from zero, so the same data and spaCy models give the same file, byte
for byte.

    .venv/bin/python scripts/train_topics.py [--later wave5-dev,...,wave11-dev] [--out PATH]

The enricher uses these weights only when ``learned_topics`` is on
(``enrich/diplo/topicchoice.py``); retrain after any change to the features or to the evidence
they read, or ``topicchoice.load`` refuses the file (``TopicModelMismatch``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from diplowire.enrich.diplo.topicchoice import MODEL_PATH, to_json  # noqa: E402
from eval.devdata import allowed_items  # noqa: E402
from eval.topics_cv import build, train  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--later",
        default="wave5-dev,wave7-dev",
        help="comma-separated later collections to train on besides the 174 older documents "
        "(default: the stored weights, 474 documents; with all four, 816, the unseen sets did not "
        "move, eval/README 'Release 8'; adding wave9-dev, 624, "
        "was measured on the validation sets and not taken, eval/README 'Topics, session 8'; in "
        "session 10's CV it did not help the other collections either, "
        "eval/results/topics-decision-2026-12-01.txt)",
    )
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    args = ap.parse_args()
    docs = build(allowed_items(later=tuple(x for x in args.later.split(",") if x)))
    model = train(docs)
    args.out.write_text(to_json(model) + "\n", encoding="utf-8")
    print(f"{len(docs)} documents, threshold {model.threshold}: wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
