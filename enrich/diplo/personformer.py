"""Former officials: a person the text calls "former" on one mention is not an acting official on
the others (LABELLING.md, persons: "Not persons: former officials").

The KB knows Sheikh Hasina as Bangladesh's head of government and, without an article date, cannot
tell that her term ended; the text can: "l'ancienne Première ministre Sheikh Hasina" ... "Mme
Hasina se cache en Inde". The per-mention check (personlinks.excluded_holder) drops the first
mention only; the bare later mentions still reach the KB. This module carries the verdict over
the surname group, unless some mention gives the person a current office of its own ("former
defence minister, now foreign minister X").

A past era is the same cue: "sous la présidence de Barack Obama", "sous le gouvernement d'Iván
Duque" (lexicon key ``era_phrases``) name a period, not an official acting in the story; with a
title of its own ("sous l'administration du Premier ministre Shinzo Abe") the mention keeps it."""

from collections.abc import Callable, Iterable
from functools import cache

from diplowire.enrich.diplo.context import Ctx, PersonFound
from diplowire.enrich.kb import load, norm

# The genitive that closes an era phrase, as the tokenizer leaves it before a name.
_GENITIVE_FORMS = {"de": ("de", "d'", "du"), "of": ("of",)}
_ERA_WINDOW = 6


@cache
def _era_phrases(lang: str) -> frozenset[str]:
    out: set[str] = set()
    for phrase in load(lang).words("era_phrases"):
        head, _, last = norm(phrase).rpartition(" ")
        out.update(f"{head} {form}" for form in _GENITIVE_FORMS.get(last, (last,)))
    return frozenset(out)


def era_mention(ctx: Ctx, p: PersonFound) -> bool:
    """The name right after 'under the presidency of' / 'sous le gouvernement de'."""
    phrases = _era_phrases(ctx.kb.lang)
    if not phrases:
        return False
    lo = max(0, p.start - _ERA_WINDOW)
    # "sous l' administration de" as tokens: glue elisions back to their word.
    before = " ".join(norm(t.text) for t in ctx.doc[lo : p.start]).replace("' ", "'")
    return any(before == ph or before.endswith(" " + ph) for ph in phrases)


class FormerMarks:
    """Which mentions the text called former, and which it gave a current office to."""

    def __init__(self) -> None:
        self._former: set[int] = set()
        self._current: set[int] = set()

    def mark(self, p: PersonFound, *, former: bool, current: bool) -> None:
        if former:
            self._former.add(id(p))
        if current:
            self._current.add(id(p))

    def former_group(
        self, members: Iterable[PersonFound], acts: Callable[[PersonFound], bool]
    ) -> bool:
        """Some mention is 'former X', and no other one holds an office in the text now or acts
        ("appointed former Foreign Minister Felix Plasencia as ambassador ... Plasencia arrived in
        Bogota": the KB is not what makes him an official)."""
        group = list(members)
        if not any(id(m) in self._former for m in group):
            return False
        return not any(
            id(m) in self._current or (id(m) not in self._former and acts(m)) for m in group
        )
