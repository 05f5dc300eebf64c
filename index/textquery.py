"""Free text across scripts, one rule for Elasticsearch (:func:`clause`) and for articles read from
Kafka (:func:`text_matches`).

The index has no language analyzers (the integration-test distribution lacks analysis-common), so
two scripts need care here rather than in the mapping:

- Han text has no spaces; the ``standard`` analyzer makes one token per character. A run of Han
  characters in a query is therefore a phrase (its characters next to each other, in order):
  俄罗斯 does not match an article with 俄, 罗 and 斯 scattered in it.
- Arabic is written with or without harakat, tatweel and the alef forms: articles in Arabic and
  Chinese carry ``text_folded``, their title and text in the matching form of
  ``enrich/textnorm.py`` (:data:`FOLDED_LANGS`), and a query in these scripts is also matched
  there in the same form (so أمريكا finds أَمْرِيكَا and إيران finds ايران).
"""

from __future__ import annotations

import re
from typing import Any

FOLDED_LANGS = frozenset({"ar", "zh"})
"""Languages whose articles carry ``text_folded``: those without lemmas whose script the
``standard`` analyzer leaves unnormalised (the others' lemmas are folded already)."""
FOLDED_FIELD = "text_folded"

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
HAN_RUN = re.compile(f"[{_HAN}]+")
_NEEDS_FOLDING = re.compile(f"[{_HAN}\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_WORD = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """``text`` in the matching form (not cached: whole articles pass through here)."""
    from diplowire.enrich.textnorm import match_form

    return match_form.__wrapped__(text)


def needs_folding(text: str) -> bool:
    """The query is (partly) Arabic or Han: also look for it in ``text_folded``."""
    return bool(_NEEDS_FOLDING.search(text))


def _split(text: str) -> tuple[list[str], str]:
    """The Han runs of ``text`` and the rest, with the runs blanked out."""
    return HAN_RUN.findall(text), HAN_RUN.sub(" ", text)


def clause(text: str, fields: list[str]) -> dict[str, Any]:
    """Every word of ``text`` in ``fields``; each Han run as a phrase."""
    runs, rest = _split(text)
    parts: list[dict[str, Any]] = []
    if rest.strip():
        if len(fields) == 1:
            parts.append({"match": {fields[0]: {"query": rest.strip(), "operator": "and"}}})
        else:
            parts.append(
                {
                    "multi_match": {
                        "query": rest.strip(),
                        "fields": fields,
                        "operator": "and",
                        "type": "cross_fields",
                    }
                }
            )
    for run in runs:
        parts.append({"multi_match": {"query": run, "fields": fields, "type": "phrase"}})
    return parts[0] if len(parts) == 1 else {"bool": {"must": parts}}


def clauses(text: str, lemma_variants: tuple[str, ...]) -> list[dict[str, Any]]:
    """The alternatives for free text: the forms in title and text, each lemma variant in
    ``lemmas``, and the folded form in ``text_folded`` for Arabic or Han queries."""
    out = [clause(text, ["title^2", "text"])]
    out += [clause(v, ["lemmas"]) for v in lemma_variants]
    if needs_folding(text):
        out.append(clause(fold(text), [FOLDED_FIELD]))
    return out


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


def _contains(query: str, body: str, words: set[str]) -> bool:
    runs, rest = _split(query)
    wanted = _words(rest)
    if not wanted and not runs:
        return False
    return wanted <= words and all(run in body for run in runs)


def text_matches(text: str, lemma_variants: tuple[str, ...], body: str, lemmas: str) -> bool:
    """:func:`clauses` on an article: its body (title and text) and its lemmas."""
    # Han runs are looked for in the text with its spaces left out, as the analyzer drops them.
    if _contains(text, body.replace(" ", ""), _words(body)):
        return True
    lemma_words = set(lemmas.split())
    if any(_contains(v, lemmas.replace(" ", ""), lemma_words) for v in lemma_variants):
        return True
    if needs_folding(text):
        folded = fold(body)
        return _contains(fold(text), folded.replace(" ", ""), _words(folded))
    return False
