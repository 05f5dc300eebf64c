"""The last merge of persons: one person the surname groups left as two.

Surname grouping keys a name by its last word, so a mention whose last word is not the surname
starts a group of its own: "Mamadi" (the NER stopped at the given name) beside "Mamadi Doumbouya",
"Marcos" beside "Ferdinand Marcos Jr.", "Binh Minh" beside "Pham Binh Minh", or the same KB person
reached by two spellings ("Erdoğan", "Erdogan") printed twice. A name whose words all stand, in
order, inside another found name is that person, unless the KB knows them as two people or
the longer name is built on a patronymic ("Salman" beside "Mohammed bin Salman", "Abdullah"
beside "Abdullah bin Zayed": there personnames.given_name_keys decides)."""

from diplowire.enrich.diplo.context import PersonFound
from diplowire.enrich.diplo.personnames import words_of


def _same(
    small: PersonFound,
    big: PersonFound,
    short: list[str],
    long: list[str],
    patronymic: frozenset[str],
) -> bool:
    if not _inside(short, long):
        return False
    if small.kb_index is not None and big.kb_index is not None:
        return small.kb_index == big.kb_index
    return short == long or not patronymic.intersection(long)


def _inside(short: list[str], long: list[str]) -> bool:
    n = len(short)
    return 0 < n <= len(long) and any(long[i : i + n] == short for i in range(len(long) - n + 1))


def merge_contained(persons: list[PersonFound], patronymic: frozenset[str]) -> list[PersonFound]:
    """Fold each person whose name is a run of words of a longer (or equal) found name into it
    (``patronymic``: the language's patronymic particles, lexicon ``patronymic_particles``)."""
    words = [words_of(p.name) for p in persons]
    order = sorted(range(len(persons)), key=lambda i: -len(words[i]))
    kept: list[int] = []
    for i in order:
        same = (k for k in kept if _same(persons[i], persons[k], words[i], words[k], patronymic))
        host = next(same, None)
        if host is None:
            kept.append(i)
            continue
        big, small = persons[host], persons[i]
        big.spans = sorted(set(big.spans) | set(small.spans))
        big.start = min(big.start, small.start)
        big.role = big.role or small.role
        big.country = big.country or small.country
        big.posted_to = big.posted_to or small.posted_to
        if big.kb_index is None:
            big.kb_index = small.kb_index
    return [persons[i] for i in sorted(kept)]
