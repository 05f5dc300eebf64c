"""Every workaround that depends on spaCy's or thinc's internals, in one place.

Verified on the versions in ``VERIFIED_ON``; ``tests/enrich/test_compat.py`` fails when the
installed versions differ, and checks that a pipeline with these changes annotates exactly as
stock spaCy. When a version changes, re-check:

- ``IndexedAttributeMatch`` replaces the method ``AttributeRuler.match`` on the instance (not a
  public hook): it relies on ``AttributeRuler.patterns`` / ``.attrs`` / ``.vocab``, on ``match``
  being what ``AttributeRuler.__call__`` calls, and on its return shape (``(pattern index, match
  id, start, end)`` sorted by pattern index, which ``set_annotations`` applies in order);
- ``use_numpy_blas`` sets ``ops`` on every node of each component's thinc model (thinc's own
  ``NumpyOps(use_blis=False)`` backend): it relies on ``model.walk()`` reaching every layer that
  multiplies and on the layers reading ``self.ops`` at call time.

Another constraint lives where it applies: ``enrich/diplo/matcher.py`` must not use ``from
__future__ import annotations``, as spaCy 3.8 validates factory arguments with pydantic v1.
"""

from __future__ import annotations

from itertools import product
from typing import Any

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.pipeline import AttributeRuler
from spacy.symbols import IDS
from spacy.tokens import Doc
from spacy.vocab import Vocab
from thinc.api import NumpyOps

# The library versions these workarounds were verified on (identical annotations, measured gains).
VERIFIED_ON = {"spacy": "3.8.6", "thinc": "8.3.11"}


_INDEXED = frozenset({"TAG", "POS", "LOWER", "ORTH", "IS_SPACE"})


def _attr_id(vocab: Vocab, key: str, value: str | bool) -> int:
    if key == "IS_SPACE":
        return int(value)
    if key == "POS":
        return int(IDS[str(value)])
    return int(vocab.strings.add(str(value)))


class IndexedAttributeMatch:
    """The matching step of a spaCy ``AttributeRuler``, same result, without its Matcher's cost.

    ``AttributeRuler.match`` runs every pattern over every token through a ``Matcher`` (about 180
    patterns in the English model: ~15 µs a token, as much as the tagger). Nearly all of them are
    one-token patterns of exact values (TAG, LOWER, ...): those are looked up in dicts keyed by the
    token's attribute ids; the few others (several tokens, IN/NOT_IN, DEP) stay in a small Matcher.
    Matches come back as ``AttributeRuler.match`` returns them: sorted by pattern index, so that
    ``set_annotations`` applies later rules last, as before.
    """

    def __init__(self, ruler: AttributeRuler) -> None:
        vocab = ruler.vocab
        self.match_ids = [vocab.strings.add(str(k)) for k in range(len(ruler.attrs))]
        # Patterns that test DEP cannot match a token without a dependency label unless they
        # accept "" (the parser is disabled): they get their own Matcher, used only on parsed docs.
        self.rest = Matcher(vocab)
        self.rest_dep = Matcher(vocab)
        groups: dict[tuple[str, ...], dict[tuple[int, ...], list[int]]] = {}
        for k, entry in enumerate(ruler.patterns):
            patterns: list[list[dict[str, Any]]] = entry["patterns"]  # type: ignore[assignment]
            for pattern in patterns:
                values = _indexable(pattern)
                if values is not None:
                    keys = tuple(sorted(values))
                    for combo in product(*(values[key] for key in keys)):
                        ids = tuple(
                            _attr_id(vocab, key, v) for key, v in zip(keys, combo, strict=True)
                        )
                        hits = groups.setdefault(keys, {}).setdefault(ids, [])
                        if k not in hits:
                            hits.append(k)
                elif _needs_dep(pattern):
                    self.rest_dep.add(self.match_ids[k], [pattern])
                else:
                    self.rest.add(self.match_ids[k], [pattern])
        self.attrs: list[int | str] = sorted({key for keys in groups for key in keys})
        self.groups = [
            (tuple(self.attrs.index(key) for key in keys), table) for keys, table in groups.items()
        ]

    def __call__(self, doc: Doc) -> list[tuple[int, int, int, int]]:
        found: set[tuple[int, int, int, int]] = set()
        ids = self.match_ids
        if self.attrs and len(doc):
            array = doc.to_array(self.attrs).reshape(len(doc), len(self.attrs))
            rows: list[list[int]] = array.tolist()  # type: ignore[assignment]
            for cols, table in self.groups:
                if len(cols) == 1:
                    c = cols[0]
                    for i, row in enumerate(rows):
                        hit = table.get((row[c],))
                        if hit:
                            found.update((k, ids[k], i, i + 1) for k in hit)
                    continue
                for i, row in enumerate(rows):
                    hit = table.get(tuple(row[c] for c in cols))
                    if hit:
                        found.update((k, ids[k], i, i + 1) for k in hit)
        matchers = [self.rest]
        if doc.has_annotation("DEP"):
            matchers.append(self.rest_dep)
        for matcher in matchers:
            if len(matcher):
                for m_id, s, e in matcher(doc, allow_missing=True, as_spans=False):
                    found.add((int(doc.vocab.strings[m_id]), m_id, s, e))
        return sorted(found)


def _indexable(pattern: list[dict[str, Any]]) -> dict[str, list[str | bool]] | None:
    """The accepted values per attribute of a one-token pattern of exact values or IN lists."""
    if len(pattern) != 1 or not pattern[0]:
        return None
    out: dict[str, list[str | bool]] = {}
    for key, value in pattern[0].items():
        if key.upper() not in _INDEXED:
            return None
        if isinstance(value, str | bool):
            out[key.upper()] = [value]
        elif isinstance(value, dict) and set(value) == {"IN"} and len(value["IN"]) <= 64:
            out[key.upper()] = list(value["IN"])
        else:
            return None
    return out


def _needs_dep(pattern: list[dict[str, Any]]) -> bool:
    """True when some token of the pattern can only match a token that has a DEP label."""
    for spec in pattern:
        for key, value in spec.items():
            if key.upper() != "DEP":
                continue
            if isinstance(value, str) and value != "":
                return True
            if isinstance(value, dict):
                if "IN" in value and "" not in value["IN"]:
                    return True
                if "NOT_IN" in value and "" in value["NOT_IN"]:
                    return True
    return False


def speed_up_attribute_ruler(nlp: Language) -> None:
    """Give the pipeline's attribute ruler the indexed matching (same annotations, less CPU)."""
    for _, proc in nlp.pipeline:
        if isinstance(proc, AttributeRuler):
            proc.match = IndexedAttributeMatch(proc)  # type: ignore[method-assign]


def use_numpy_blas(nlp: Language) -> None:
    """Multiply the pipeline's matrices with numpy's BLAS instead of thinc's default, blis.

    Matrix products are about half of the enrich CPU (the two tok2vec CNNs). numpy's bundled
    OpenBLAS does the same float32 products ~2.9x faster than blis on this machine's CPU, and the
    annotations come out identical (``tests/enrich/test_nlp.py``). thinc supports this backend
    itself (``NumpyOps(use_blis=False)``): only which library multiplies changes.
    """
    ops = NumpyOps(use_blis=False)
    for _, proc in nlp.pipeline:
        model = getattr(proc, "model", None)
        if model is not None and hasattr(model, "walk"):
            for node in model.walk():
                node.ops = ops
