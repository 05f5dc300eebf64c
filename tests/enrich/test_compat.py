"""``enrich.spacy_compat``: pinned to the library versions it was verified on, and its changes
leave the annotations exactly as spaCy's components set them."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import pytest
import spacy

from diplowire.enrich import nlp, spacy_compat

DATA = Path(__file__).resolve().parents[2] / "eval" / "data"


@pytest.mark.parametrize("package", sorted(spacy_compat.VERIFIED_ON))
def test_installed_version_is_the_one_the_workarounds_were_verified_on(package: str) -> None:
    verified, installed = spacy_compat.VERIFIED_ON[package], version(package)
    assert installed == verified, (
        f"{package} is {installed}, the workarounds of enrich/spacy_compat.py were verified on "
        f"{verified}. Re-check each item of that module's docstring against {package} {installed} "
        "(private attributes and call shapes it relies on), run this file (identical annotations) "
        "and bench/enrich_throughput.py (the gain is still there; see bench/README.md), then "
        "update VERIFIED_ON."
    )


def _texts() -> list[str]:
    out = []
    for name in ("diplomatic-dev.jsonl", "diplomatic-heldout.jsonl"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            out.append(f"{item['title']}\n\n{item['text']}")
    return out


@pytest.mark.parametrize("code", sorted(nlp.MODELS))
def test_fast_pipeline_sets_the_same_annotations(code: str) -> None:
    """Indexed attribute ruler and numpy's BLAS: same tags, lemmas and entities as stock spaCy."""
    plain = spacy.load(nlp.MODELS[code], disable=list(nlp.DISABLE))
    fast = nlp.load(code)
    assert fast is not None
    assert isinstance(fast.get_pipe("attribute_ruler").match, spacy_compat.IndexedAttributeMatch)
    for name in ("tok2vec", "ner"):
        nodes = list(fast.get_pipe(name).model.walk())  # type: ignore[attr-defined]
        assert nodes and all(not getattr(n.ops, "use_blis", True) for n in nodes)
        assert all(getattr(n.ops, "use_blis", False) for n in plain.get_pipe(name).model.walk())  # type: ignore[attr-defined]
    texts = [*_texts(), "There is a   double space.\n\nIt's what we'd got, isn't it?"]
    for a, b in zip(plain.pipe(texts), fast.pipe(texts), strict=True):
        assert [(t.pos_, t.tag_, str(t.morph), t.lemma_, t.ent_iob_, t.ent_type_) for t in a] == [
            (t.pos_, t.tag_, str(t.morph), t.lemma_, t.ent_iob_, t.ent_type_) for t in b
        ]


def test_indexed_match_keeps_dep_patterns_for_parsed_docs() -> None:
    full = spacy.load(nlp.MODELS["en"])  # parser included
    ruler = full.get_pipe("attribute_ruler")
    indexed = spacy_compat.IndexedAttributeMatch(ruler)
    doc = full("There are talks in Geneva. There is no deal yet.")
    assert indexed(doc) == ruler.match(doc)
