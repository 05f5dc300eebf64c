"""A topic model that reads words (issue 12, session 7), measured against the rules.

    .venv/bin/python -m eval.topics_lex [--seeds 12,1,2,3,4,5] [--per-lang] [--wave5] [--cache DIR]

One row per (document, topic of the taxonomy), for **every** topic, not only those with KB
evidence, so recall is not capped by the lexicon. A row's logit is

    evidence features · w  +  b_topic  +  lemmas(document) · v_topic

- the evidence features are ``topicfeatures``'s (zeros and ``no_evidence`` = 1 where the topic
  has no evidence), standardised and shared by every topic;
- the lemmas are spaCy's, lowercased, content words only (NOUN, VERB, ADJ; proper nouns left out:
  they name the places and people of the training stories, not what a story is about), counted
  apart in the headline + lede (first two sentences) and in the body, keyed by language
  (French and English lemmas differ), sublinear tf (1 + log tf), each part scaled to unit length;
- one weight vector per topic over the lemmas (``v_topic``), with a strong L2 penalty chosen by
  an inner 3-fold CV together with the threshold.

numpy only, full-batch Adam from zero (plain gradient descent, ``actormodel.fit``, moves the
weight of a lemma seen in 1 % of the rows too slowly to learn anything in its step budget):
deterministic. Data: only what may be tuned on (``eval.devdata.allowed_items``: dev, dev2,
held-out, wave3-dev); ``--wave5`` adds ``wave5-dev`` as a fresh set the rules were not written
from. The spaCy pass is cached (``--cache``): every seed and variant reads the same documents.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import pickle
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from diplowire.enrich import nlp as nlpmod
from diplowire.enrich.diplo.context import Ctx
from diplowire.enrich.diplo.topicfeatures import ALL_FEATURES, EVIDENCE_FEATURES, TOPICS
from diplowire.enrich.diplo.topics import lead_sentences
from eval import topics_cv as tcv
from eval.devdata import allowed_items, folds_of
from eval.evaluate import WAVE5, load_split, parsed, set_counts
from eval.intervals import micro_f1, paired_difference, prf

SEED = 12
SEEDS = (12, 1, 2, 3, 4, 5)
CONTENT = frozenset({"NOUN", "VERB", "ADJ"})
L2_EVIDENCE = 10.0
L2_GRID = (0.1, 0.3, 1.0)
THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(2, 19))
STEPS = 300
RATE = 0.05
_EV_COLS = [ALL_FEATURES.index(f) for f in EVIDENCE_FEATURES]


@dataclass(frozen=True)
class LexDoc:
    base: tcv.DocData
    """Evidence rows, the rules' topics and the gold, as ``topics_cv`` builds them."""
    lead: tuple[tuple[str, str], ...]
    """(lemma, POS) of the headline's and lede's alphabetic non-stop tokens."""
    body: tuple[tuple[str, str], ...]


def tokens(ctx: Ctx) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    lead = lead_sentences(ctx)
    parts: tuple[list[tuple[str, str]], list[tuple[str, str]]] = ([], [])
    for tok in ctx.doc:
        if tok.is_alpha and not tok.is_stop and len(tok.text) > 1:
            parts[0 if ctx.sent[tok.i] in lead else 1].append((tok.lemma_.lower(), tok.pos_))
    return tuple(parts[0]), tuple(parts[1])


def build(items: Sequence[tuple[str, dict[str, Any]]]) -> list[LexDoc]:
    """One spaCy pass per language; documents in the items' order (other languages skipped)."""
    docs: list[LexDoc | None] = [None] * len(items)
    for i, lang, _, doc in parsed([item for _, item in items], skip_missing=True):
        ctx = Ctx(doc, lang)
        lead, body = tokens(ctx)
        docs[i] = LexDoc(tcv.doc_data(items[i][0], items[i][1], ctx, lang), lead, body)
    return [d for d in docs if d is not None]


def cached_build(items: Sequence[tuple[str, dict[str, Any]]], cache: Path | None) -> list[LexDoc]:
    """``build``, pickled under ``cache`` keyed by the items' content (the same items and code
    give the same file; a changed label or text gives a new one)."""
    if cache is None:
        return build(items)
    key = hashlib.sha256(json.dumps(items, sort_keys=True).encode()).hexdigest()[:16]
    path = cache / f"lexdocs-{key}.pkl"
    if path.exists():
        with path.open("rb") as fh:
            out: list[LexDoc] = pickle.load(fh)
        return out
    docs = build(items)
    cache.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        pickle.dump(docs, fh)
    return docs


# ---- features ---------------------------------------------------------------------------------


def lemma_counts(doc: LexDoc, pos: frozenset[str] = CONTENT) -> dict[str, float]:
    """``part:lang:lemma`` -> sublinear tf, each part (lead, body) scaled to unit length."""
    out: dict[str, float] = {}
    for part, toks in (("lead", doc.lead), ("body", doc.body)):
        tf = Counter(lemma for lemma, p in toks if p in pos)
        vals = {f"{part}:{doc.base.lang}:{k}": 1.0 + math.log(n) for k, n in tf.items()}
        norm = math.sqrt(sum(v * v for v in vals.values())) or 1.0
        out.update({k: v / norm for k, v in vals.items()})
    return out


def evidence_matrix(doc: LexDoc) -> NDArray[np.float64]:
    """(topics, evidence features + no_evidence): zeros and 1.0 where a topic has no evidence."""
    out = np.zeros((len(TOPICS), len(EVIDENCE_FEATURES) + 1))
    out[:, -1] = 1.0
    for r in doc.base.rows:
        t = TOPICS.index(r.topic)
        out[t, :-1] = [r.features[c] for c in _EV_COLS]
        out[t, -1] = 0.0
    return out


@dataclass(frozen=True)
class Data:
    """Every document's arrays, built once; subsets are index arrays into them."""

    ev: NDArray[np.float64]  # (docs, topics, evidence features)
    lex: NDArray[np.float64]  # (docs, vocabulary)
    gold: NDArray[np.float64]  # (docs, topics)
    vocab: tuple[str, ...]


def arrays(docs: Sequence[LexDoc], pos: frozenset[str] = CONTENT, min_df: int = 2) -> Data:
    """The vocabulary is every key in at least ``min_df`` documents (no labels read): a key seen
    in training only is what gets a weight, so this only saves columns that would stay zero."""
    counts = [lemma_counts(d, pos) for d in docs]
    df = Counter(k for c in counts for k in c)
    vocab = tuple(sorted(k for k, n in df.items() if n >= min_df))
    col = {k: j for j, k in enumerate(vocab)}
    lex = np.zeros((len(docs), len(vocab)))
    for i, c in enumerate(counts):
        for k, v in c.items():
            if k in col:
                lex[i, col[k]] = v
    gold = np.asarray([[t in d.base.gold for t in TOPICS] for d in docs], dtype=np.float64)
    ev = np.stack([evidence_matrix(d) for d in docs]) if docs else np.zeros((0, len(TOPICS), 1))
    return Data(ev, lex, gold, vocab)


# ---- model ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LexModel:
    mean: NDArray[np.float64]
    scale: NDArray[np.float64]
    w: NDArray[np.float64]
    b: NDArray[np.float64]  # per topic
    v: NDArray[np.float64]  # (vocabulary, topics)
    threshold: float = 0.5

    def proba(self, ev: NDArray[np.float64], lex: NDArray[np.float64]) -> NDArray[np.float64]:
        z = (ev - self.mean) / self.scale
        s = z @ self.w + self.b + lex @ self.v
        out: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-s))
        return out


def fit(
    ev: NDArray[np.float64],
    lex: NDArray[np.float64],
    y: NDArray[np.float64],
    l2_lex: float,
    l2_ev: float = L2_EVIDENCE,
    steps: int = STEPS,
    lexical: bool = True,
) -> LexModel:
    """Mean log-loss over the (document, topic) rows + (l2 / 2n)·|weights|², as in
    ``actormodel.fit``; Adam from zero, a fixed number of full-batch steps (deterministic)."""
    n_docs, n_top, d = ev.shape
    flat = ev.reshape(-1, d)
    mean = flat.mean(axis=0)
    scale = flat.std(axis=0)
    scale[scale == 0] = 1.0
    z = (ev - mean) / scale
    n = max(n_docs * n_top, 1)
    params = [np.zeros(d), np.zeros(n_top), np.zeros((lex.shape[1], n_top))]
    m1 = [np.zeros_like(p) for p in params]
    m2 = [np.zeros_like(p) for p in params]
    for step in range(1, steps + 1):
        w, b, v = params
        s = z @ w + b + (lex @ v if lexical else 0.0)
        g = 1.0 / (1.0 + np.exp(-s)) - y
        grads = [
            np.einsum("dtk,dt->k", z, g) / n + l2_ev * w / n,
            g.sum(axis=0) / n,
            (lex.T @ g) / n + l2_lex * v / n if lexical else np.zeros_like(v),
        ]
        for p, gr, a, c in zip(params, grads, m1, m2, strict=True):
            a *= 0.9
            a += 0.1 * gr
            c *= 0.999
            c += 0.001 * gr * gr
            p -= RATE * (a / (1 - 0.9**step)) / (np.sqrt(c / (1 - 0.999**step)) + 1e-8)
    return LexModel(mean, scale, params[0], params[1], params[2])


def _pred(probs: NDArray[np.float64], t: float) -> list[set[str]]:
    return [{TOPICS[j] for j in np.flatnonzero(row >= t)} for row in probs]


def _f1(probs: NDArray[np.float64], gold: NDArray[np.float64], t: float) -> float:
    hit = probs >= t
    tp = float((hit & (gold > 0)).sum())
    fp = float((hit & (gold == 0)).sum())
    fn = float((~hit & (gold > 0)).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def train(
    data: Data,
    idx: NDArray[np.intp],
    grid: Sequence[float] = L2_GRID,
    inner_seed: int = SEED,
    **kw: Any,
) -> LexModel:
    """Model on ``idx`` with the lexical L2 and threshold chosen by an inner 3-fold CV on them."""
    best = (-1.0, grid[0], 0.5)
    for l2 in grid:
        probs = np.zeros((len(idx), len(TOPICS)))
        for fold in folds_of(len(idx), 3, inner_seed):
            held = np.zeros(len(idx), dtype=bool)
            held[fold] = True
            tr, te = idx[~held], idx[held]
            m = fit(data.ev[tr], data.lex[tr], data.gold[tr], l2, **kw)
            probs[held] = m.proba(data.ev[te], data.lex[te])
        for t in THRESHOLDS:
            f = _f1(probs, data.gold[idx], t)
            if f > best[0]:
                best = (f, l2, t)
    m = fit(data.ev[idx], data.lex[idx], data.gold[idx], best[1], **kw)
    return LexModel(m.mean, m.scale, m.w, m.b, m.v, best[2])


def predict(model: LexModel, data: Data, idx: NDArray[np.intp]) -> list[set[str]]:
    return _pred(model.proba(data.ev[idx], data.lex[idx]), model.threshold)


def cross_validate(data: Data, k: int, seed: int, **kw: Any) -> list[set[str]]:
    n = len(data.gold)
    preds: list[set[str]] = [set() for _ in range(n)]
    for fold in folds_of(n, k, seed):
        held = set(fold)
        model = train(data, np.asarray([i for i in range(n) if i not in held], dtype=np.intp), **kw)
        for i, p in zip(fold, predict(model, data, np.asarray(fold, dtype=np.intp)), strict=True):
            preds[i] = p
    return preds


# ---- reports ----------------------------------------------------------------------------------


def compare(
    docs: Sequence[LexDoc], systems: Mapping[str, Sequence[set[str] | frozenset[str]]]
) -> dict[str, Any]:
    """F1 with intervals per system, and each system minus the rules (paired)."""
    counts = {
        name: [set_counts(p, d.base.gold) for p, d in zip(preds, docs, strict=True)]
        for name, preds in systems.items()
    }
    rules = [set_counts(d.base.rules, d.base.gold) for d in docs]
    out: dict[str, Any] = {"n": len(docs), "rules": prf(rules)}
    for name, c in counts.items():
        out[name] = {**prf(c), "minus_rules": paired_difference(c, rules)}
    return out


def per_topic_errors(
    docs: Sequence[LexDoc], preds: Sequence[set[str] | frozenset[str]]
) -> dict[str, tuple[int, int]]:
    """Topic -> (false, missed) counts: where the errors fall, without reading any document."""
    out: dict[str, tuple[int, int]] = {}
    for t in TOPICS:
        fp = sum(t in p and t not in d.base.gold for p, d in zip(preds, docs, strict=True))
        fn = sum(t not in p and t in d.base.gold for p, d in zip(preds, docs, strict=True))
        out[t] = (fp, fn)
    return out


def line(name: str, r: dict[str, Any]) -> str:
    lo, hi = r["ci95"]
    s = f"  {name:<22} {r['f1']:.3f} [{lo:.3f}, {hi:.3f}] (P {r['p']:.3f} / R {r['r']:.3f})"
    if "minus_rules" in r:
        s += f"  − rules {list(r['minus_rules'])}"
    return s


def show(title: str, res: dict[str, Any]) -> None:
    print(f"{title} (n={res['n']})")
    for name, r in res.items():
        if isinstance(r, dict) and "f1" in r:
            print(line(name, r))


def evidence_cv(docs: Sequence[LexDoc], k: int, seed: int) -> list[set[str]]:
    """The previous evidence-only model (``topics_cv``), same folds."""
    return tcv.cross_validate([d.base for d in docs], k, seed)


def by_lang_cv(docs: Sequence[LexDoc], k: int, seed: int, **kw: Any) -> list[set[str]]:
    """One model per language, each cross-validated on its own documents."""
    preds: list[set[str]] = [set() for _ in docs]
    for lang in sorted({d.base.lang for d in docs}):
        idx = [i for i, d in enumerate(docs) if d.base.lang == lang]
        sub = arrays([docs[i] for i in idx])
        for i, p in zip(idx, cross_validate(sub, k, seed, **kw), strict=True):
            preds[i] = p
    return preds


def run_cv(
    docs: list[LexDoc],
    k: int,
    seeds: Sequence[int],
    per_lang: bool,
    subsets: dict[str, list[int]] | None = None,
) -> dict[str, Any]:
    """Every seed's CV of the lexical and evidence-only models beside the rules; ``subsets``
    (name -> document indices) are scored apart from the same out-of-fold predictions."""
    data = arrays(docs)
    out: dict[str, Any] = {"vocabulary": len(data.vocab), "seeds": []}
    for seed in seeds:
        systems: dict[str, Sequence[set[str]]] = {
            "lexical": cross_validate(data, k, seed),
            "evidence-only (prev.)": evidence_cv(docs, k, seed),
        }
        if per_lang:
            systems["lexical per language"] = by_lang_cv(docs, k, seed)
        res = compare(docs, systems)
        show(f"{k}-fold CV by document, seed {seed}", res)
        for name, idx in (subsets or {}).items():
            sub = compare(
                [docs[i] for i in idx], {n: [p[i] for i in idx] for n, p in systems.items()}
            )
            show(f"   of which {name}", sub)
            res[f"subset {name}"] = sub
        out["seeds"].append({"seed": seed, **res})
        sys.stdout.flush()
    for name in out["seeds"][0]:
        if name in ("n", "seed", "rules") or name.startswith("subset "):
            continue
        f1s = [s[name]["f1"] for s in out["seeds"]]
        print(f"  {name}: mean {sum(f1s) / len(f1s):.3f}, range {min(f1s):.3f}–{max(f1s):.3f}")
    return out


def train_score(
    train_docs: Sequence[LexDoc], score_docs: Sequence[LexDoc], seeds: Sequence[int] = ()
) -> dict[str, Any]:
    """Trained on one collection, scored on another: lexical and evidence-only vs the rules;
    ``seeds`` adds the lexical model's spread over the inner CV's fold seed (what picks its L2
    and threshold)."""
    everything = list(train_docs) + list(score_docs)
    data = arrays(everything)
    tr = np.arange(len(train_docs), dtype=np.intp)
    te = np.arange(len(train_docs), len(everything), dtype=np.intp)
    lex = predict(train(data, tr), data, te)
    spread = []
    for seed in seeds:
        p = predict(train(data, tr, inner_seed=seed), data, te)
        spread.append(
            micro_f1([set_counts(q, d.base.gold) for q, d in zip(p, score_docs, strict=True)])
        )
    ev_model = tcv.train([d.base for d in train_docs])
    ev = [set(ev_model.kept(d.base.rows)) for d in score_docs]
    res = compare(score_docs, {"lexical": lex, "evidence-only (prev.)": ev})
    if spread:
        res["lexical_inner_seeds"] = [round(f, 3) for f in spread]
    res["errors"] = {
        "rules": per_topic_errors(score_docs, [d.base.rules for d in score_docs]),
        "lexical": per_topic_errors(score_docs, lex),
        "evidence-only (prev.)": per_topic_errors(score_docs, ev),
    }
    return res


def show_errors(res: dict[str, Any]) -> None:
    if "lexical_inner_seeds" in res:
        print(f"  lexical over the inner CV's fold seeds: {res['lexical_inner_seeds']}")
    names = list(res["errors"])
    print("  per-topic false / missed: " + " | ".join(names))
    for t in TOPICS:
        cells = "  ".join(
            f"{res['errors'][n][t][0]:>2} / {res['errors'][n][t][1]:<2}" for n in names
        )
        print(f"    {t:<20} {cells}")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seeds", default=",".join(str(s) for s in SEEDS))
    ap.add_argument("--per-lang", action="store_true", help="also one model per language")
    ap.add_argument("--no-cv", action="store_true", help="only the cross-collection tests")
    ap.add_argument("--wave5", action="store_true", help="train on the 174, score wave5-dev")
    ap.add_argument("--cache", type=Path, help="pickle the spaCy pass here")
    ap.add_argument("--json", type=Path, help="write every figure here")
    args = ap.parse_args(argv)
    # Small matrices: BLAS threads only fight each other (a fit took 14× longer with them).
    nlpmod.limit_blas_threads(1)
    # The 174 documents the rules were written from; wave 5 only where asked, as a fresh set.
    docs = cached_build(allowed_items(wave5=False), args.cache)
    out: dict[str, Any] = {}
    seeds = [int(s) for s in args.seeds.split(",")]
    if not args.no_cv:
        out["cv"] = run_cv(docs, args.folds, seeds, args.per_lang)
    wave3 = [d for d in docs if d.base.source == "wave3-dev"]
    older = [d for d in docs if d.base.source != "wave3-dev"]
    for name, a, b in (("older->wave3-dev", older, wave3), ("wave3-dev->older", wave3, older)):
        out[name] = train_score(a, b, seeds)
        show(f"trained {name.replace('->', ', scored on ')}", out[name])
        show_errors(out[name])
        sys.stdout.flush()
    if args.wave5:
        w5 = cached_build([("wave5-dev", it) for it in load_split(WAVE5, "dev")], args.cache)
        n_fr = sum(d.base.lang == "fr" for d in w5)
        print(f"wave5-dev: {len(w5)} documents ({n_fr} fr)")
        out["174->wave5-dev"] = train_score(docs, w5, seeds)
        show("trained on the 174, scored on wave5-dev", out["174->wave5-dev"])
        show_errors(out["174->wave5-dev"])
        if not args.no_cv:
            both = docs + w5
            subsets = {
                "older 174": [i for i, d in enumerate(both) if d.base.source != "wave5-dev"],
                "wave5-dev": [i for i, d in enumerate(both) if d.base.source == "wave5-dev"],
            }
            out["cv+wave5"] = run_cv(both, args.folds, seeds, args.per_lang, subsets)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=list), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
