"""Datelines: the place a story was filed from ("PARIS (AFP) -", "Phnom Penh, MINA -",
"Nouakchott, 14 juin (AMI) -", "Muscat: ..."). The place is where the wire was written, not a
state taking part (eval/LABELLING.md: datelines are not countries), so its mentions are skipped,
unless the story's own officials are given no state ("Muscat: ..., Foreign Minister on Monday
received ..."): a local wire's officials are those of the place it files from.

Only structure is read, in any language: the place opens the body's first paragraph and is
followed by an agency in parentheses, a date (a number), a dash, a colon or a slash, before any
verb. "Beijing summoned ..." or "Paris, Berlin and Rome have ..." open a paragraph too, but as
subjects: no such mark follows them."""

from spacy.tokens import Span

from diplowire.enrich.diplo.context import POSTED_ROLES, Ctx, PersonFound, span_code

# Longest run of tokens after "City," still read as the rest of the dateline ("14 juin (AMI) -").
_LOOKAHEAD = 8
_MARKS = frozenset({":", "/", "("})


def _is_dash(text: str) -> bool:
    return bool(text) and all(c in "-–—―" for c in text)


def _body_start(ctx: Ctx) -> int | None:
    """First token of the body: the one after the first line break (the title comes first)."""
    doc = ctx.doc
    for tok in doc:
        if tok.is_space and "\n" in tok.text:
            j = tok.i + 1
            while j < len(doc) and doc[j].is_space:
                j += 1
            return j if j < len(doc) else None
        if "\n" in tok.whitespace_:
            return tok.i + 1 if tok.i + 1 < len(doc) else None
    return None


def _marked(ctx: Ctx, j: int) -> bool:
    """Does the token at ``j`` (right after the place) open the rest of a dateline?"""
    doc = ctx.doc
    if j >= len(doc):
        return False
    text = doc[j].text
    if text in _MARKS or _is_dash(text):
        return True
    if text != ",":
        return False
    # "City, 14 juin (AMI) -", "City, MINA -", "City, Country —": a number or a mark comes
    # before any verb; "Beijing, Moscow and Tehran have agreed" reaches its verb first.
    for k in range(j + 1, min(len(doc), j + 1 + _LOOKAHEAD)):
        tok = doc[k]
        if tok.pos_ in {"VERB", "AUX"} or (tok.is_space and "\n" in tok.text):
            return False
        if tok.like_num or tok.text in _MARKS or _is_dash(tok.text):
            return True
    return False


def dateline_places(ctx: Ctx) -> set[tuple[int, int]]:
    """(start, end) of the country spans (capitals and names) that make up the dateline."""
    b = _body_start(ctx)
    if b is None or b not in ctx.country_at:
        return set()
    first = ctx.country_at[b]
    if first.start != b:
        return set()
    places = [first]
    j = first.end
    # "AMMAN/BEIRUT", "City, Country", "City (Country)": the places of one dateline.
    while j + 1 < len(ctx.doc) and ctx.doc[j].text in {"/", ",", "("}:
        nxt = ctx.country_at.get(j + 1)
        if nxt is None or nxt.start != j + 1:
            break
        places.append(nxt)
        j = nxt.end
        if ctx.doc[nxt.start - 1].text == "(" and j < len(ctx.doc) and ctx.doc[j].text == ")":
            j += 1
    if not _marked(ctx, j):
        return set()
    return {(p.start, p.end) for p in places}


def in_dateline(places: set[tuple[int, int]], span: Span) -> bool:
    return (span.start, span.end) in places


def dateline_states(
    ctx: Ctx, places: set[tuple[int, int]], persons: list[PersonFound]
) -> dict[str, tuple[int, int]]:
    """Dateline states that the story's stateless officials belong to: code -> dateline span.
    Envoys and diplomats are posted abroad, so they do not tie a story to where it was filed."""
    if not any(
        p.official and p.country is None and p.role and p.role not in POSTED_ROLES for p in persons
    ):
        return {}
    out: dict[str, tuple[int, int]] = {}
    for start, end in sorted(places):
        out.setdefault(span_code(ctx.country_at[start]), (start, end))
    return out
