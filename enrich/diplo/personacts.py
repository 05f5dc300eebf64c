"""Persons: the subject of a diplomatic act is an official (issue 12 part 3, persons recall).

Heads of state and ministers are often named with no title at all once the story is under way:
"Ismail Omar Guelleh s'est entretenu avec le Premier ministre britannique", "Kenyatta is
expected to formally receive Prime Minister Abiy", "Pham Minh Chinh a souligné...". The speaker
rule in persons.py catches "X said"; this one catches the same names before the verbs of the
acts the stories are about (met, received, hosted, signed, held talks, visited), under the same
guard: a name the NER calls a person, in a sentence that names a state or a diplomatic body,
with no journalist/scholar/former-official noun beside it; and, stricter, a surname the story
names at least twice.
"""

from bisect import bisect_left, bisect_right

from diplowire.enrich import kb as kbmod
from diplowire.enrich.diplo.context import PERSON_LABELS, Ctx, PersonFound, span_kind

# The lexicon's word lists this rule reads (tests/enrich/test_lexicon_keys.py): "act_verbs", the
# verb forms of diplomatic acts as they follow their subject (past, present, participle after an
# auxiliary; lemmas are not used, the small models lemmatise names badly), and
# "act_auxiliaries", the words between the name and its verb ("s'est", "is expected to").
LEXICON_KEYS = ("act_verbs", "act_auxiliaries")
_MAX_BETWEEN = 4


def acting_subject(ctx: Ctx, p: PersonFound) -> bool:
    """'X met / a reçu / s'est entretenu avec ...' in a sentence naming a state or a body."""
    doc = ctx.doc
    if p.kb_index is None and not any(
        e.label_ in PERSON_LABELS and e.start <= p.start < e.end for e in ctx.ents
    ):
        return False
    between = kbmod.lexicon_words(ctx.kb.lang, "act_auxiliaries")
    verbs = kbmod.lexicon_words(ctx.kb.lang, "act_verbs")
    k = p.end
    while k < len(doc) and k - p.end < _MAX_BETWEEN and doc[k].lower_ in between:
        k += 1
    if k >= len(doc) or doc[k].lower_ not in verbs or doc[k].pos_ not in {"VERB", "AUX"}:
        return False
    if not ctx.same_sent(p.start, k) or non_official_near(ctx, p):
        return False
    # A protagonist of the story recurs; a name acting once in passing ("John Smith met the
    # ambassador of Chile") may be anyone.
    surname = doc[p.end - 1].text
    if ctx.texts.count(surname) < 2:
        return False
    return diplomatic_sentence(ctx, p.start, skip=(p.start, p.end))


def non_official_near(ctx: Ctx, p: PersonFound) -> bool:
    """A journalist/scholar/former-official noun within six tokens, in the name's sentence."""
    lo, hi = max(0, p.start - 6), min(len(ctx.doc), p.end + 6)
    return any(
        ctx.doc[k].lower_ in ctx.non_official and ctx.same_sent(k, p.start) for k in range(lo, hi)
    )


def diplomatic_sentence(ctx: Ctx, at: int, skip: tuple[int, int] = (0, 0)) -> bool:
    """A state (not only a capital), a body or an official's head noun in token ``at``'s
    sentence, outside ``skip`` (the name itself, for a name that must not vouch for itself)."""
    sent = ctx.sent[at]
    # Sentence ids never decrease: the sentence's own tokens, found by bisection (this ran over
    # the whole document for each name).
    for k in range(bisect_left(ctx.sent, sent), bisect_right(ctx.sent, sent)):
        if skip[0] <= k < skip[1]:
            continue
        if k in ctx.org_at or (k in ctx.country_at and span_kind(ctx.country_at[k]) != "capital"):
            return True
        if any(h.start == k for h in ctx.heads):
            return True
    return False
