"""What kind of list a run of states is, for the actor classifier (``actorfeatures``).

The second stage (``dyadstage``) ties the states of one enumeration together, so a list's
verdict is shared: voters, co-signers and mediators all act, but a bloc's membership ("BRICS
members Brazil, Russia, India..."), examples ("countries such as"), states that stayed out
("did not take part") and a background list do not (eval/LABELLING.md P3, P5). Three cheap token
cues tell them apart, read in the few tokens of the same sentence right before the run's first
state and right after its last (a lone mention is a run of one):

- ``list_membership``: a membership word before or after it ("members", "membres", "bloc");
- ``list_example``: an example marker before it ("such as", "comme", "notamment");
- ``list_negation``: a negation or exclusion next to it ("did not", "n'ont pas", "sauf").

The words are KB data (``LEXICON_KEYS`` in enrich/kb/{en,fr}/lexicon.json), not code.
"""

from __future__ import annotations

from collections.abc import Sequence

from diplowire.enrich import kb as kbmod

LEXICON_KEYS = ("list_membership_words", "list_example_words", "list_negation_words")
FEATURES: tuple[str, ...] = ("list_membership", "list_example", "list_negation")
WINDOW = 3  # tokens looked at on each side of a run, inside its sentence


def runs_of(starts: Sequence[int], after_first: Sequence[bool]) -> list[int]:
    """Run id per mention: a mention that continues a run of states ("..., France and Japan")
    joins the mention before it in the text."""
    order = sorted(range(len(starts)), key=lambda i: starts[i])
    run = [0] * len(starts)
    r = -1
    for k, i in enumerate(order):
        if k == 0 or not after_first[i]:
            r += 1
        run[i] = r
    return run


def list_kind_cues(
    lang: str,
    lower: Sequence[str],
    starts: Sequence[int],
    ends: Sequence[int],
    after_first: Sequence[bool],
    sentence: Sequence[tuple[int, int]],
) -> list[tuple[float, float, float]]:
    """Per mention, (membership, example, negation) cues of the run it belongs to. ``lower``:
    the Doc's lower-cased tokens; ``starts``/``ends``: each mention's token span; ``sentence``:
    the (first, past-last) token of each mention's sentence."""
    member = kbmod.lexicon_words(lang, "list_membership_words")
    example = kbmod.lexicon_words(lang, "list_example_words")
    negation = kbmod.lexicon_words(lang, "list_negation_words")
    run = runs_of(starts, after_first)
    span: dict[int, tuple[int, int, int, int]] = {}
    for i, r in enumerate(run):
        lo, hi = sentence[i]
        a, b, _, _ = span.get(r, (starts[i], ends[i], lo, hi))
        span[r] = (min(a, starts[i]), max(b, ends[i]), lo, hi)
    cues: dict[int, tuple[float, float, float]] = {}
    for r, (a, b, lo, hi) in span.items():
        before = set(lower[max(lo, a - WINDOW) : a])
        after = set(lower[b : min(hi, b + WINDOW)])
        cues[r] = (
            float(bool((before | after) & member)),
            float(bool(before & example)),
            float(bool((before | after) & negation)),
        )
    return [cues[r] for r in run]
