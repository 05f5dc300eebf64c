"""Tense and list cues of a country mention for the actor classifier (``actorfeatures``), taught
by eval/LABELLING.md's decided rules: the parties to a merely planned or announced act do not
act, those of an act told as done or under way do (P5); named members of a long enumeration
are mostly attendees or a bloc's membership (P3).

Cheap token cues only (POS tags and the morphology the enricher's pipeline already computes):
no dependency parse. Measured with ``eval.actors_cv`` on the 624 DEV documents
(eval/results/actor-cues-2026-11-30.txt); cues tried there and left out (future and
conditional forms in the sentence, planning words, a future headline, the object of a measure
verb, "against X", "including"/"parmi" before a list, a host word) did not raise actors and
dyads together on every fold assignment.
"""

from __future__ import annotations

from collections.abc import Sequence

from spacy.tokens import Doc

VERBAL = frozenset({"VERB", "AUX"})


def sentence_tense(doc: Doc, tags: Sequence[str], lo: int, hi: int) -> tuple[bool, bool]:
    """(a verb form in the past, a finite verb in the present) among tokens [lo, hi): "met",
    "a rencontré" (its participle) against "will meet", "doit se rendre", "is expected to"."""
    past = present = False
    for i in range(lo, hi):
        if tags[i] not in VERBAL:
            continue
        morph = doc[i].morph
        tense = morph.get("Tense", [])
        past = past or "Past" in tense
        present = present or ("Pres" in tense and "Fin" in morph.get("VerbForm", []))
        if past and present:
            break
    return past, present


def list_lengths(
    codes: Sequence[str], starts: Sequence[int], after_first: Sequence[bool]
) -> list[float]:
    """Per mention, the number of states in the enumeration it belongs to (a mention that
    continues a run, ``after_first``, joins the one before it in the text), scaled to [0, 1]
    and capped at six; 0 for a mention outside any enumeration."""
    order = sorted(range(len(codes)), key=lambda i: starts[i])
    group = [0] * len(codes)
    g = -1
    for k, i in enumerate(order):
        if k == 0 or not after_first[i]:
            g += 1
        group[i] = g
    members: dict[int, set[str]] = {}
    for i, gi in enumerate(group):
        members.setdefault(gi, set()).add(codes[i])
    out = []
    for gi in group:
        n = len(members[gi])
        out.append(min(n, 6) / 6 if n > 1 else 0.0)
    return out
