"""Score the diplomatic enricher on the labelled sets, beside a plain spaCy NER baseline.

    .venv/bin/python -m eval.evaluate                 # dev, held-out and test tables
    .venv/bin/python -m eval.evaluate --set dev --json

Fields: countries, persons, organisations (P/R/F1, micro over documents), topics (micro-F1),
actors and dyads (micro-F1, and per-document exact-set accuracy of dyads). Persons match
leniently (same name, same surname, or one name's words inside the other's); organisations match
on a canonical key from the KB (aliases: "ONU" = "Nations unies"; missions by sending state, kind
and, for consulates, city), computed the same way for gold strings, our output and the baseline,
**or**, as issue 12 defines the field, when the gold name is the entity's name or one of its
mention forms in the document ("the foreign ministry" for the ministry found as Iran's). The
key-only figure of releases 1-3 is printed beside it (``organizations_key``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from diplowire.enrich import diplo
from diplowire.enrich import kb as kbmod
from diplowire.enrich import nlp as nlpmod
from eval.intervals import DocCounts, bootstrap_f1, paired_difference

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

DATA = Path(__file__).parent / "data"
SETS = {
    "dev": DATA / "diplomatic-dev.jsonl",
    # Real published articles found through search, labelled before the enricher saw them; used
    # for studying actor/dyad errors together with dev (see README).
    "dev2": DATA / "diplomatic-dev2.jsonl",
    "heldout": DATA / "diplomatic-heldout.jsonl",
    # Real published articles found through search, labelled before the enricher saw them.
    # Never used for tuning: scored once before and once after each change.
    "test": DATA / "diplomatic-test.jsonl",
}
WAVE3 = DATA / "wave3"
"""Issue 12's collection: real articles from many outlets and regions, labelled before the
enricher ran on them; each item's ``split`` (test or dev) was fixed by a hash of its URL when it
was labelled. ``wave3-test`` is frozen (tests/eval/test_frozen.py pins it) and scored once per
release, never tuned on."""
WAVE4 = DATA / "wave4"
"""Issue 12's second never-tuned-on set (80 articles from 80 outlets none of the earlier sets
used), labelled before the enricher ran on it; every item's ``split`` is ``val``. Read only by
scoring, to check the session's changes for generalisation; pinned in tests/eval/test_frozen.py
and never part of ``--set all``."""
WAVE5 = DATA / "wave5"
"""Issue 12's third collection of real articles from outlets no earlier set used, labelled
before the enricher ran on it (session 7); every item's ``split`` is ``dev``: scored once before
any change (the third measurement on unseen news), then read for errors and trained on."""
WAVE7 = DATA / "wave7"
"""Issue 12's fourth collection from new outlets (session 7), labelled before the enricher ran on
it, every ``split`` is ``dev``: scored once before use, then training data, like wave 5."""
WAVE6 = DATA / "wave6"
"""Issue 12's third never-tuned-on set (session 7; outlets no earlier set used, labelled before
the enricher ran on it; every ``split`` is ``val``): read only by scoring, beside wave 4, to
check whether changes written from wave 5's errors carry over."""
WAVE8 = DATA / "wave8"
"""Issue 12's fourth never-tuned-on set (session 8; 60 articles, 10 French and 10 English per
region, one item per outlet, outlets no earlier set used, labelled before the enricher ran on
it; every ``split`` is ``val``): read only by scoring, to validate the session's changes once."""
WAVE9 = DATA / "wave9"
"""Issue 12's fifth collection from new outlets (session 8), labelled before the enricher ran on
it, every ``split`` is ``dev``: scored once before use (at release 5), then training data."""
WAVE10 = DATA / "wave10"
"""Issue 12's fifth never-tuned-on set (session 10; French and English, one item per outlet,
outlets no earlier set used, labelled under the decided rules of LABELLING.md before the enricher
ran on it; every ``split`` is ``val``): read only by scoring, to validate release 7 once."""
WAVE11 = DATA / "wave11"
"""Issue 12's sixth collection from new outlets (session 12; 192 articles, 96 French and 96
English, one item per outlet, outlets no earlier set used, labelled under the decided rules of
LABELLING.md before the enricher ran on it; every ``split`` is ``dev``): scored once at release 7
(its two batches apart and together), then training data."""
WAVE12 = DATA / "wave12"
"""Issue 12's sixth never-tuned-on set (session 12; French and English, one item per outlet,
outlets no earlier set used, labelled under LABELLING.md's decided rules and part 6 before the
enricher ran on it; every ``split`` is ``val``): read only by scoring, to validate release 9."""
WAVE13 = DATA / "wave13"
"""Issue 12's seventh never-tuned-on set (session 13; French and English, one item per outlet,
outlets no earlier set used, labelled under LABELLING.md's decided rules and part 6 before the
enricher ran on it; every ``split`` is ``val``): read only by scoring, to validate release 10."""
SPLIT_SETS = {
    "wave3-dev": (WAVE3, "dev"),
    "wave3-test": (WAVE3, "test"),
    "wave4-val": (WAVE4, "val"),
    "wave5-dev": (WAVE5, "dev"),
    "wave6-val": (WAVE6, "val"),
    "wave7-dev": (WAVE7, "dev"),
    "wave8-val": (WAVE8, "val"),
    "wave9-dev": (WAVE9, "dev"),
    "wave10-val": (WAVE10, "val"),
    "wave11-dev": (WAVE11, "dev"),
    "wave12-val": (WAVE12, "val"),
    "wave13-val": (WAVE13, "val"),
}
FIELDS = ("countries", "persons", "organizations", "topics", "actors", "dyads")
EXTRA_FIELDS = ("organizations_key",)
"""Scored and printed, but not one of the issue's fields: organisations by canonical key alone
(the scorer of releases 1-3), kept so figures stay comparable across releases."""


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, tp: int, fp: int, fn: int) -> None:
        self.tp += tp
        self.fp += fp
        self.fn += fn

    def prf(self) -> dict[str, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {"p": round(p, 3), "r": round(r, 3), "f1": round(f, 3)}


@dataclass
class Prediction:
    countries: set[str] = field(default_factory=set)
    actors: set[str] = field(default_factory=set)
    dyads: set[str] = field(default_factory=set)
    persons: list[str] = field(default_factory=list)
    organizations: set[str] = field(default_factory=set)
    topics: set[str] = field(default_factory=set)
    org_forms: dict[str, set[str]] = field(default_factory=dict)
    """Canonical key -> the entity's name and mention forms (``org_form``) in this document."""


def load_items(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def load_split(folder: Path, split: str) -> list[dict[str, Any]]:
    """Every item of ``folder``'s JSONL files whose ``split`` is ``split``, in file/line order."""
    return [
        item
        for path in sorted(folder.glob("*.jsonl"))
        for item in load_items(path)
        if item.get("split") == split
    ]


def load_set(name: str) -> list[dict[str, Any]]:
    if name in SPLIT_SETS:
        return load_split(*SPLIT_SETS[name])
    return load_items(SETS[name])


def _words(name: str) -> list[str]:
    return [w for w in kbmod.norm(name).replace("-", " ").split(" ") if w]


def person_match(a: str, b: str) -> bool:
    """Lenient: same name, same surname, or one's words all inside the other's."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return False
    if wa == wb or wa[-1] == wb[-1]:
        return True
    return set(wa) <= set(wb) or set(wb) <= set(wa)


def match_lists(pred: Sequence[str], gold: Sequence[str]) -> tuple[int, int, int]:
    free = list(gold)
    tp = 0
    for p in pred:
        hit = next((g for g in free if person_match(p, g)), None)
        if hit is not None:
            free.remove(hit)
            tp += 1
    return tp, len(pred) - tp, len(free)


def set_counts(pred: Iterable[str], gold: Iterable[str]) -> tuple[int, int, int]:
    ps, gs = set(pred), set(gold)
    return len(ps & gs), len(ps - gs), len(gs - ps)


@cache
def canon_org_string(name: str, lang: str) -> str:
    """Canonical key of an organisation written as a string (gold label or NER span)."""
    kb = kbmod.load(lang)
    oid = kb.org_alias_index.get(kbmod.norm(name))
    if oid is not None:
        return f"id:{oid}"
    pipeline = nlpmod.load(lang)
    if pipeline is not None:
        facts = diplo.analyze(pipeline(name), lang)
        if facts.organizations:
            return diplo.org_key(facts.organizations[0], lang)
    return f"text:{kbmod.norm(name)}"


_ARTICLES = ("the ", "la ", "le ", "les ", "l'")


def org_form(text: str) -> str:
    """A name form for issue 12's organisation matching: ``norm`` without a leading article."""
    out = kbmod.norm(text)
    for art in _ARTICLES:
        if out.startswith(art):
            return out[len(art) :].strip()
    return out


def org_counts(
    pred: set[str], forms: dict[str, set[str]], gold: Iterable[str], lang: str
) -> tuple[int, int, int]:
    """Issue 12's organisation matching: a gold name matches a predicted entity when their
    canonical keys are equal or the name is the entity's name or one of its mention forms; each
    entity matches at most one gold name. Returns (tp, fp, fn)."""
    unmatched = set(pred)
    by_key: dict[str, list[str]] = {}
    for g in sorted(set(gold)):
        # Gold names with one key are one organisation (as the key-only scorer counts them).
        by_key.setdefault(canon_org_string(g, lang), []).append(g)
    fn = 0
    pending = []
    for key, names in by_key.items():
        if key in unmatched:
            unmatched.discard(key)
        else:
            pending.append({org_form(g) for g in names})
    for names_forms in pending:
        hit = next((k for k in sorted(unmatched) if names_forms & forms.get(k, set())), None)
        if hit is None:
            fn += 1
        else:
            unmatched.discard(hit)
    return len(pred) - len(unmatched), len(unmatched), fn


def dyads_of(codes: Iterable[str]) -> set[str]:
    s = sorted(set(codes))
    return {f"{a}-{b}" for i, a in enumerate(s) for b in s[i + 1 :]}


def document_text(item: dict[str, Any]) -> str:
    """What the enricher reads of a labelled item: the title, a blank line, the text."""
    return f"{item['title']}\n\n{item['text']}"


def parsed(
    items: Sequence[dict[str, Any]], *, skip_missing: bool = False
) -> Iterator[tuple[int, str, Language, Doc]]:
    """(index, language, pipeline, Doc) of every item, one ``pipe`` per language (batched, as
    the enricher runs): items grouped by language, each group in the items' order. A language
    without a pipeline fails, or is skipped with ``skip_missing``."""
    by_lang: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        by_lang.setdefault(item["lang"], []).append(i)
    for lang, idxs in by_lang.items():
        pipeline = nlpmod.load(lang)
        if pipeline is None and skip_missing:
            continue
        assert pipeline is not None, lang
        docs = pipeline.pipe([document_text(items[i]) for i in idxs])
        for i, doc in zip(idxs, docs, strict=True):
            yield i, lang, pipeline, doc


def predict(items: list[dict[str, Any]]) -> tuple[list[Prediction], list[Prediction]]:
    """Our enricher and the plain-NER baseline, on the same Docs."""
    ours: list[Prediction] = [Prediction() for _ in items]
    base: list[Prediction] = [Prediction() for _ in items]
    names_of: dict[str, dict[str, str]] = {}
    for i, lang, _, doc in parsed(items):
        if lang not in names_of:
            kb = kbmod.load(lang)
            names_of[lang] = {
                kbmod.norm(cf.form): cf.code for cf in kb.country_forms if cf.kind == "name"
            }
        names = names_of[lang]
        facts = diplo.analyze(doc, lang, items[i].get("published"))
        ours[i] = Prediction(
            countries={c.code for c in facts.countries},
            actors={c.code for c in facts.countries if c.actor},
            dyads=set(facts.dyads),
            persons=[p.name for p in facts.persons],
            organizations={diplo.org_key(o, lang) for o in facts.organizations},
            topics={t.name for t in facts.topics},
            org_forms=_forms_of(facts.organizations, lang),
        )
        b = Prediction()
        for ent in doc.ents:
            if ent.label_ in {"GPE", "LOC"}:
                text = kbmod.norm(ent.text)
                for art in ("the ", "la ", "le ", "les ", "l'"):
                    text = text.removeprefix(art)
                if text in names:
                    b.countries.add(names[text])
            elif ent.label_ in {"PER", "PERSON"} and ent.text not in b.persons:
                b.persons.append(ent.text)
            elif ent.label_ == "ORG":
                key = canon_org_string(ent.text, lang)
                b.organizations.add(key)
                b.org_forms.setdefault(key, set()).add(org_form(ent.text))
        b.actors = set(b.countries)
        b.dyads = dyads_of(b.countries)
        base[i] = b
    return ours, base


def _forms_of(orgs: Iterable[Any], lang: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for o in orgs:
        forms = out.setdefault(diplo.org_key(o, lang), set())
        forms.add(org_form(o.name))
        forms.update(org_form(m.text) for m in o.mentions)
    return out


def score(items: list[dict[str, Any]], preds: list[Prediction]) -> dict[str, Any]:
    counts = {f: Counts() for f in (*FIELDS, *EXTRA_FIELDS)}
    per_doc: dict[str, list[DocCounts]] = {f: [] for f in (*FIELDS, *EXTRA_FIELDS)}
    exact_dyads = 0
    errors = []
    for item, pred in zip(items, preds, strict=True):
        gold = item["gold"]
        lang = item["lang"]
        gold_orgs = {canon_org_string(o, lang) for o in gold["organizations"]}
        gold_dyads = set(gold.get("dyads", []))
        doc = {
            "countries": set_counts(pred.countries, gold["countries"]),
            "actors": set_counts(pred.actors, gold.get("actors", [])),
            "dyads": set_counts(pred.dyads, gold_dyads),
            "persons": match_lists(pred.persons, gold["persons"]),
            "organizations": org_counts(
                pred.organizations, pred.org_forms, gold["organizations"], lang
            ),
            "organizations_key": set_counts(pred.organizations, gold_orgs),
            "topics": set_counts(pred.topics, gold["topics"]),
        }
        for f in (*FIELDS, *EXTRA_FIELDS):
            counts[f].add(*doc[f])
            per_doc[f].append(doc[f])
        exact_dyads += pred.dyads == gold_dyads
        errors.append(
            {
                "id": item["id"],
                "countries": _diff(pred.countries, set(gold["countries"])),
                "actors": _diff(pred.actors, set(gold.get("actors", []))),
                "organizations": _diff(pred.organizations, gold_orgs),
                "topics": _diff(pred.topics, set(gold["topics"])),
                "persons": {"pred": pred.persons, "gold": gold["persons"]},
            }
        )
    out: dict[str, Any] = {
        f: {**counts[f].prf(), "ci95": bootstrap_f1(per_doc[f])} for f in (*FIELDS, *EXTRA_FIELDS)
    }
    out["per_doc"] = per_doc
    out["dyad_accuracy"] = round(exact_dyads / len(items), 3) if items else 0.0
    out["n"] = len(items)
    out["errors"] = errors
    return out


def _diff(pred: set[str], gold: set[str]) -> dict[str, list[str]]:
    return {"fp": sorted(pred - gold), "fn": sorted(gold - pred)}


def evaluate(path: Path) -> dict[str, Any]:
    return evaluate_items(path.name, load_items(path))


def trivial_actors(preds: list[Prediction]) -> list[Prediction]:
    """Issue 12's trivial answer: every country the enricher found is an actor."""
    return [
        Prediction(
            countries=p.countries,
            actors=set(p.countries),
            dyads=dyads_of(p.countries),
            persons=p.persons,
            organizations=p.organizations,
            topics=p.topics,
            org_forms=p.org_forms,
        )
        for p in preds
    ]


def evaluate_items(name: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    ours, base = predict(items)
    scored = score(items, ours)
    trivial = score(items, trivial_actors(ours))
    for f in ("actors", "dyads"):
        # Paired: does ours beat the trivial answer by more than this set's noise?
        scored[f]["vs_trivial_ci95"] = paired_difference(
            scored["per_doc"][f], trivial["per_doc"][f]
        )
    return {"set": name, "ours": scored, "baseline": score(items, base), "trivial": trivial}


def _table(result: dict[str, Any]) -> str:
    ours, base = result["ours"], result["baseline"]
    lines = [
        f"{result['set']}  (n={ours['n']})",
        f"{'field':<14}{'ours P':>8}{'R':>7}{'F1':>7}   {'NER P':>7}{'R':>7}{'F1':>7}",
    ]
    lines[-1] += f"   {'F1 95% CI':>15}"
    for f in (*FIELDS, *EXTRA_FIELDS):
        o, b = ours[f], base[f]
        bp = "   n/a    n/a    n/a" if f == "topics" else f"{b['p']:>7}{b['r']:>7}{b['f1']:>7}"
        ci = f"[{o['ci95'][0]:.3f}, {o['ci95'][1]:.3f}]"
        lines.append(f"{f:<14}{o['p']:>8}{o['r']:>7}{o['f1']:>7}   {bp}   {ci:>15}")
    lines.append(f"{'dyad exact':<14}{ours['dyad_accuracy']:>22}   {base['dyad_accuracy']:>21}")
    trivial = result.get("trivial")
    if trivial:
        for f in ("actors", "dyads"):
            t = trivial[f]
            d = ours[f]["vs_trivial_ci95"]
            lines.append(
                f"trivial {f:<6} (every country found acts): F1 {t['f1']} "
                f"[{t['ci95'][0]:.3f}, {t['ci95'][1]:.3f}]; ours minus trivial: [{d[0]}, {d[1]}]"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--set", choices=[*SETS, *SPLIT_SETS, "all"], default="all")
    ap.add_argument("--path", type=Path, help="score another labelled JSONL file")
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    ap.add_argument("--errors", action="store_true", help="print per-document differences")
    ap.add_argument("--lang", choices=("fr", "en"), help="score only the items in this language")
    args = ap.parse_args(argv)

    def pick(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [i for i in items if args.lang is None or i["lang"] == args.lang]

    suffix = f" [{args.lang}]" if args.lang else ""
    if args.path:
        results = [evaluate_items(args.path.name + suffix, pick(load_items(args.path)))]
    else:
        # "all" is the sets one may look at while working: never the frozen wave3-test.
        names = [*SETS, "wave3-dev"] if args.set == "all" else [args.set]
        results = [evaluate_items(n + suffix, pick(load_set(n))) for n in names]
    if args.json:
        for r in results:
            for side in ("ours", "baseline", "trivial"):
                r[side].pop("per_doc", None)
                if not args.errors:
                    r[side].pop("errors", None)
        json.dump(results, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    for r in results:
        print(_table(r))
        if args.errors:
            for e in r["ours"]["errors"]:
                print(json.dumps(e, ensure_ascii=False))
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
