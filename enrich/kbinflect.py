"""Inflected forms of the KB's country names, capitals and demonyms, made by rule for the no-NER
path (``enrich.kbonly``), so that the curated files need list only the base forms.

The press writes "России", "Швеции", "Индонезии" (Russian genitive), "Liechtensteins", "Moskaus"
(German genitive) and "اليمنية", "التونسي" (Arabic nisba with the article, feminine); the curated
lists had these for some twenty states each and missed the rest. A language's ``lexicon.json``
names its rule under ``"inflect"``; each rule maps one KB form to the forms it stands for (the
form itself first). Forms a rule gets wrong (a fleeting vowel: "Египета" for "Египта") simply never
match; irregular ones stay listed by hand in ``countries.tsv`` and ``capitals.tsv``.

- ``ru``: singular cases of one-word names (-ия, -а, -я, consonant, -й, -ь, -ство; plural -ы) and
  of two-word names with a feminine or neuter adjective first ("Южной Кореи"), and the full
  adjective declension of demonyms in -кий ("шведский" -> "шведского", "шведской"...) with the
  compound prefix ("шведско-"). Indeclinable names (Того, Перу, Мали) are left alone.
- ``de``: the genitive -s of one-word names and capitals ("Liechtensteins", "Moskaus"), and the
  strong/weak endings of demonyms in -isch ("niederländisch" -> "niederländischen"...).
- ``ar``: a nisba demonym in -ي gets its feminine (-ية) and both with the article (ال).
"""

from __future__ import annotations

from collections.abc import Callable

# Russian: the five oblique cases, genitive, dative, accusative, instrumental, prepositional.
# "" means the case is the nominative itself (inanimate masculine accusative).
_RU_NOUN: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    # (ending, letters dropped, endings added per case)
    ("ство", 1, ("а", "у", "о", "ом", "е")),
    ("ия", 1, ("и", "и", "ю", "ей", "и")),
    ("а", 1, ("ы", "е", "у", "ой", "е")),
    ("я", 1, ("и", "е", "ю", "ей", "е")),
    ("й", 1, ("я", "ю", "й", "ем", "е")),
    ("ь", 1, ("я", "ю", "ь", "ем", "е")),
    ("ы", 1, ("ов", "ам", "ы", "ами", "ах")),
)
_RU_ADJ_FIRST: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ая", ("ой", "ой", "ую", "ой", "ой")),
    ("яя", ("ей", "ей", "юю", "ей", "ей")),
    ("ое", ("ого", "ому", "ое", "ым", "ом")),
)
_RU_VELAR_HUSH = set("гкхжчшщ")
_RU_HUSH_C = set("жчшщц")
_RU_CONSONANTS = set("бвгджзклмнпрстфхцчшщ")
_RU_ADJ_KII = ("ий", "ая", "ое", "ие", "ого", "ой", "ому", "им", "их", "ом", "ую", "ими", "о")


def _ru_noun_cases(word: str) -> tuple[str, ...] | None:
    low = word.lower()
    if low[-1:] in _RU_CONSONANTS:
        cases = ["а", "у", "", "ом", "е"]
        if low[-1] in _RU_HUSH_C:
            cases[3] = "ем"
        return tuple(word + c for c in cases)
    for ending, drop, adds in _RU_NOUN:
        if low.endswith(ending):
            stem = word[:-drop]
            out = list(adds)
            if ending == "а" and low[-2:-1] in _RU_VELAR_HUSH:
                out[0] = "и"
            if ending == "а" and low[-2:-1] in _RU_HUSH_C:
                out[3] = "ей"
            return tuple(stem + a for a in out)
    return None  # indeclinable (-о, -е, -и, -у, -ю) or unknown


def _ru(kind: str, form: str) -> list[str]:
    words = form.split(" ")
    if kind == "demonym":
        low = form.lower()
        if len(words) == 1 and low.endswith("кий"):
            stem = form[:-2]
            return [form, *(stem + e for e in _RU_ADJ_KII)]
        return [form]
    if len(words) == 1:
        cases = _ru_noun_cases(form)
        return [form, *cases] if cases else [form]
    if len(words) == 2:
        adj, noun = words
        cases = _ru_noun_cases(noun)
        for ending, adds in _RU_ADJ_FIRST:
            if cases and adj.lower().endswith(ending):
                stem = adj[: -len(ending)]
                return [form, *(f"{stem}{a} {c}" for a, c in zip(adds, cases, strict=True))]
    return [form]


_DE_ADJ = ("e", "en", "er", "es", "em")


def _de(kind: str, form: str) -> list[str]:
    if kind == "demonym":
        if " " not in form and form.lower().endswith("isch"):
            return [form, *(form + e for e in _DE_ADJ)]
        return [form]
    if " " not in form and form[-1:].lower() not in ("s", "x", "z", "ß"):
        return [form, form + "s"]
    return [form]


def _ar(kind: str, form: str) -> list[str]:
    if kind != "demonym" or " " in form or form.startswith("ال") or not form.endswith("ي"):
        return [form]
    return [form, form + "ة", "ال" + form, "ال" + form + "ة"]


RULES: dict[str, Callable[[str, str], list[str]]] = {"ru": _ru, "de": _de, "ar": _ar}


def expand(rule: str | None, kind: str, form: str) -> list[str]:
    """``form`` and the forms ``rule`` inflects it into (``kind``: name, capital, seat, demonym)."""
    fn = RULES.get(rule or "")
    if fn is None or not form:
        return [form]
    return list(dict.fromkeys(fn(kind, form)))
