"""Persons: a name after an honorific is a name, whatever the NER calls it (issue 12 part 3).

The small models file honorific-led names under other labels or miss them: "M. Mahfoudh Brahim,
conseiller à la Présidence" (ORG), "Son Excellence M. Bassirou Dioumaye Faye" (MISC), "le Dr
Gedion Timothewos" (MISC, the first name tagged a noun). A protocol honorific ("M.", "Mme", "Dr",
"Son Excellence", "H.E.") is followed by a person's name and nothing else, so the title-case
words after it are a name candidate; whether that person is an official is still decided by the
role rules, as for any other name.
"""

from functools import cache

from diplowire.enrich.diplo.context import Ctx, PersonFound

# A name after an honorific is one to four words; longer runs are titles or headlines.
_MAX_WORDS = 4
# Lower-case words inside names: "Faisal bin Farhan", "Mohamed ould Cheikh".
_PARTICLES = frozenset({"bin", "ibn", "bint", "ben", "al", "el", "ould"})


@cache
def _by_first_word(honorifics: frozenset[str]) -> dict[str, list[tuple[str, ...]]]:
    """Honorifics by their first word, longest first: one set lookup per token, not one
    comparison per honorific."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for form in honorifics:
        words = tuple(form.split())
        out.setdefault(words[0], []).append(words)
    return {w: sorted(forms, key=len, reverse=True) for w, forms in out.items()}


def honorific_end(ctx: Ctx, i: int) -> int:
    """The end of the run of honorifics starting at token ``i`` ("Son Excellence M.", "H. E.",
    "Dr"), or ``i`` when no honorific starts there. Multi-word honorifics match token by token."""
    texts = ctx.texts
    first = _by_first_word(ctx.honorifics)
    k = i
    while k < len(texts) and texts[k] in first:
        n = next(
            (
                len(words)
                for words in first[texts[k]]
                if k + len(words) <= len(texts)
                and all(texts[k + j] == w for j, w in enumerate(words))
            ),
            0,
        )
        if n == 0:
            break
        k += n
    return k


def _name_word(ctx: Ctx, i: int) -> bool:
    tok = ctx.doc[i]
    return (
        tok.is_title
        and tok.is_alpha
        and i not in ctx.country_at
        and i not in ctx.org_at
        and tok.lower_ not in ctx.non_name_words
    )


def honorific_names(ctx: Ctx, taken: set[int]) -> list[PersonFound]:
    """Names right after an honorific that no other rule took: one to four title-case words
    (hyphenated parts and name particles allowed inside), none a state, a body, a role or a
    listed common word. The honorific is not part of the name."""
    doc = ctx.doc
    first = _by_first_word(ctx.honorifics)
    out: list[PersonFound] = []
    i = 0
    while i < len(doc):
        if ctx.texts[i] not in first:  # most tokens: no call (this loop sees every token)
            i += 1
            continue
        start = honorific_end(ctx, i)
        if start == i or start >= len(doc):
            i += 1
            continue
        end = start
        words = 0
        while end < len(doc) and words < _MAX_WORDS + 1 and end not in taken:
            tok = doc[end]
            if _name_word(ctx, end):
                end += 1
                words += 1
            elif (
                tok.text == "-"
                and not doc[end - 1].whitespace_
                and not tok.whitespace_
                and end > start
                and end + 1 < len(doc)
                and _name_word(ctx, end + 1)
            ):
                end += 2  # "Akufo-Addo", "Ban Ki-moon"
            elif (
                tok.lower_ in _PARTICLES
                and end > start
                and end + 1 < len(doc)
                and _name_word(ctx, end + 1)
            ):
                end += 1
            else:
                break
        if 1 <= words <= _MAX_WORDS and not any(k in taken for k in range(start, end)):
            out.append(PersonFound(doc[start:end].text, start, end))
            taken.update(range(start, end))
        i = max(end, i + 1)
    return out
