"""Train the actor classifier (``enrich/diplo/actormodel.py``), its second stage
(``enrich/diplo/dyadstage.py``) and the pair decoding (``enrich/diplo/dyadpairs.py``) on every
item one may tune on and write their weights to ``enrich/kb/actor_model.json``,
``enrich/kb/dyad_model.json`` and ``enrich/kb/pair_model.json``.

Data: dev, dev2, held-out, the wave-3 dev split, wave5-dev, wave7-dev and wave9-dev, 624
documents (``eval/devdata.allowed_items``; wave11-dev can join with ``--later``: measured and not
kept, eval/README 'Release 8'), with their labels as re-read under
``eval/LABELLING.md``'s decided rules (session 9); never the frozen wave3-test split, wave4-val,
wave6-val, wave8-val nor the old test set. The first stage's threshold and the second stage's
training rows come from a seeded 3-fold cross-validation inside the data; gradient descent
starts from zero, so the same data and spaCy models give the same files. About a minute on the
shared two cores.

    .venv/bin/python scripts/train_actors.py [--parser] [--later wave5-dev,...,wave11-dev]

Before the relabelling, more collections did not help (their labels disagreed on who acts:
eval/README, "Actors, session 7" and "Wave 9"); on the re-read labels all 624 documents do
(eval/README, "Release 6").

The enricher decides actors with these weights (``enrich/diplo/actordecision.py``); retrain
after any change to the features (``actorfeatures.FEATURES``) or to the rules they read, or
``actormodel.load`` refuses the file (``ModelMismatch``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from diplowire.enrich.diplo import dyadpairs, dyadstage  # noqa: E402
from diplowire.enrich.diplo.actormodel import MODEL_PATH  # noqa: E402
from eval.actors_train import build, train  # noqa: E402
from eval.devdata import allowed_items  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--parser", action="store_true", help="add dependency-parse features")
    ap.add_argument(
        "--later",
        default="wave5-dev,wave7-dev,wave9-dev",
        help="comma-separated later collections to train on besides the 174 older documents "
        "(default: the stored weights since release 6, 624 documents, eval/README 'Release 6'; "
        "adding wave11-dev, 816 documents, lost dyads on the unseen sets: eval/README 'Release 8')",
    )
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    ap.add_argument("--out-second", type=Path, default=dyadstage.MODEL_PATH)
    ap.add_argument("--out-pairs", type=Path, default=dyadpairs.MODEL_PATH)
    args = ap.parse_args()
    later = tuple(x for x in args.later.split(",") if x)
    docs = build(allowed_items(later=later), parser=args.parser)
    decision = train(docs)
    args.out.write_text(decision.first.to_json() + "\n", encoding="utf-8")
    args.out_second.write_text(decision.second.to_json() + "\n", encoding="utf-8")
    args.out_pairs.write_text(decision.pairs.to_json() + "\n", encoding="utf-8")
    p = decision.pairs
    print(
        f"{len(docs)} documents, thresholds {decision.first.threshold} (first stage), "
        f"{decision.second.threshold} (second); pair decoding: actor threshold "
        f"{p.actor_threshold}, pair threshold {p.model.threshold}, actor weight {p.actor_weight}:"
        f" wrote {args.out}, {args.out_second}, {args.out_pairs}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
