"""List-kind cues of the actor classifier (``enrich/diplo/actorlists.py``, eval/LABELLING.md P3)
on real sentences through the real spaCy models: before them, a bloc's membership, examples and
states that stayed out of a vote gave the same list features as states that voted."""

from __future__ import annotations

import pytest

from diplowire.enrich import diplo, nlp
from diplowire.enrich import kb as kbmod
from diplowire.enrich.diplo import actorlists
from diplowire.enrich.diplo.actorfeatures import INDEX, MentionRow, mention_rows


def _rows(text: str, lang: str) -> dict[str, list[MentionRow]]:
    pipeline = nlp.load(lang)
    assert pipeline is not None
    doc = pipeline(text)
    out: dict[str, list[MentionRow]] = {}
    for row in mention_rows(doc, lang, diplo.analyze(doc, lang, learned_actors=False)):
        out.setdefault(row.code, []).append(row)
    return out


def _cues(row: MentionRow) -> tuple[float, ...]:
    return tuple(row.features[INDEX[name]] for name in actorlists.FEATURES)


def test_membership_negation_and_voters_differ_en() -> None:
    rows = _rows(
        "BRICS members Brazil, Russia and India met in Kazan. "
        "Kenya and Ghana did not take part in the vote, while France and Germany voted for it.",
        "en",
    )
    assert _cues(rows["BR"][0]) == _cues(rows["IN"][0]) == (1.0, 0.0, 0.0)  # the whole run
    assert _cues(rows["KE"][0]) == _cues(rows["GH"][0]) == (0.0, 0.0, 1.0)
    assert _cues(rows["FR"][0]) == _cues(rows["DE"][0]) == (0.0, 0.0, 0.0)


def test_examples_and_abstainers_differ_fr() -> None:
    rows = _rows(
        "Des pays comme le Brésil et l'Inde observent la crise. "
        "Le Mali et le Niger n'ont pas signé, mais la France et l'Allemagne ont signé l'accord.",
        "fr",
    )
    assert _cues(rows["BR"][0]) == _cues(rows["IN"][0]) == (0.0, 1.0, 0.0)
    assert _cues(rows["ML"][0]) == _cues(rows["NE"][0]) == (0.0, 0.0, 1.0)
    assert _cues(rows["FR"][0]) == _cues(rows["DE"][0]) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_cue_words_are_lower_case_lists_in_both_lexicons(lang: str) -> None:
    for key in actorlists.LEXICON_KEYS:
        words = kbmod.lexicon_words(lang, key)
        assert words and all(w == w.lower() for w in words), (lang, key)


def test_runs_follow_the_list_continuations() -> None:
    # starts out of text order: the run id follows the text, a continuation joins the one before.
    assert actorlists.runs_of([10, 0, 12, 30], [True, False, True, False]) == [0, 0, 0, 1]
