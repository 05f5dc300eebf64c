"""Persons: cues outside any role phrase that make a named person an official (issue 12 part 3).

An accreditation: the names in a sentence about accrediting envoys or presenting credentials
are the envoys ("Ont ainsi été accrédités X pour l'Iran, Y pour l'Italie ..."); the receiving
head of state is found by the role rules already.
"""

from diplowire.enrich.diplo.context import Ctx, PersonFound, span_code, span_kind

# The words of the act, not of the topic: "lettres de créance", "credentials", "accrédités".
_CREDENTIAL_WORDS = frozenset(
    {
        "créance", "créances", "accrédité", "accréditée", "accrédités", "accréditées",
        "credentials", "credence", "accredited",
    }
)  # fmt: skip
# "X pour l'Italie", "X for Ghana": whom the envoy represents.
_FOR = frozenset({"pour", "for"})
# What lies between the envoy and the credentials: "a présenté ses lettres de", "presented his".
_PRESENTING = frozenset({"VERB", "AUX", "DET", "PRON", "ADP", "NOUN"})


def accredited_envoy(ctx: Ctx, p: PersonFound) -> tuple[bool, str | None]:
    """(whether ``p`` is an envoy named in an accreditation sentence, the state it represents
    if said). The name is listed with the state it is accredited for ("X pour l'Italie"), or
    is the subject of presenting credentials ("X a présenté ses lettres de créance", "X
    presented his credentials"); other names of the sentence (a party, the host) are not."""
    doc = ctx.doc
    sent = ctx.sent[p.start]
    lo = p.start
    while lo > 0 and ctx.sent[lo - 1] == sent:
        lo -= 1
    hi = p.end
    while hi < len(doc) and ctx.sent[hi] == sent:
        hi += 1
    if not any(doc[i].lower_ in _CREDENTIAL_WORDS for i in range(lo, hi)):
        return False, None
    k = p.end
    if ctx.lower(k) in _FOR:
        # The state, within a few words ("pour la république islamique d'Iran"), before the
        # next item of the list.
        for i in range(k + 1, min(hi, k + 6)):
            if doc[i].is_punct or ctx.lower(i) in ctx.coord:
                break
            c = ctx.country_at.get(i)
            if c is not None and span_kind(c) != "capital":
                return True, span_code(c)
        return False, None
    for i in range(p.end, min(hi, p.end + 6)):
        if doc[i].lower_ in _CREDENTIAL_WORDS:
            return True, None
        if not (doc[i].pos_ in _PRESENTING or ctx.lower(i) in ctx.poss):
            break
    return False, None


def capitals_names(ctx: Ctx, taken: set[int]) -> list[PersonFound]:
    """Names written in capitals with a role beside them, which the NER does not see: the
    speaker lines of transcripts and releases ("PENNY WONG, FOREIGN MINISTER: Thanks ...",
    "AMBASSADOR JOHN SMITH"). Two to four capitalised words, no state, body or role word among
    them, right before ", ROLE" or right after a role; the name is given in title case."""
    doc = ctx.doc
    starts = {r.start for r in ctx.roles}
    out: list[PersonFound] = []
    texts = ctx.texts
    i = 0
    while i < len(doc):
        if not texts[i].isupper():  # most tokens: no call (this loop sees every token)
            i += 1
            continue
        j = i
        while j < len(doc) and j - i < 5 and _capital_word(ctx, j) and j not in taken:
            j += 1
        if 2 <= j - i <= 4 and ((ctx.lower(j) == "," and j + 1 in starts) or i in ctx.role_end):
            name = " ".join(t.text.capitalize() for t in doc[i:j])
            out.append(PersonFound(name, i, j))
        i = max(j, i + 1)
    return out


def _capital_word(ctx: Ctx, i: int) -> bool:
    # str methods on the text read once (spaCy's is_upper/is_alpha are these): tried on every
    # token of every article.
    text = ctx.texts[i]
    return (
        text.isupper()
        and text.isalpha()
        and len(text) > 1
        and i not in ctx.country_at
        and i not in ctx.org_at
        and ctx.lowers[i] not in ctx.non_name_words
        and not any(r.start <= i < r.end for r in ctx.roles)
    )
