"""Former officials: a person the text calls "former" on one mention is not an acting official on
the others (LABELLING.md, persons: "Not persons: former officials").

The KB knows Sheikh Hasina as Bangladesh's head of government and, without an article date, cannot
tell that her term ended; the text can: "l'ancienne Première ministre Sheikh Hasina" ... "Mme
Hasina se cache en Inde". The per-mention check (personlinks.excluded_holder) drops the first
mention only; the bare later mentions still reach the KB. This module carries the verdict over
the surname group, unless some mention gives the person a current office of its own ("former
defence minister, now foreign minister X")."""

from collections.abc import Callable, Iterable

from diplowire.enrich.diplo.context import PersonFound


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
