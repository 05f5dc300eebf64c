"""Where an organisation's name stands, for the organisation rules (issue 12 part 3): inside a
named person's title, as the parent of an organ already named, inside the name of a treaty; and
the coordinated list of cities after a plural mission head ("consulates in A, B and C")."""

from spacy.tokens import Span

from diplowire.enrich.diplo.context import PERSON_LABELS, Ctx, span_kind

# Words a role title may pass through before the organisation it names ("spokesperson for the
# Russian Ministry of Foreign Affairs", "représentant permanent de la Russie auprès des Nations
# unies"): at most this many tokens between the role and the organisation.
TITLE_GAP = 4


def _skippable(ctx: Ctx, i: int) -> bool:
    tok = ctx.doc[i]
    return tok.lower_ in ctx.articles or tok.pos_ == "DET" or tok.lower_ in ctx.poss


def _title_link(ctx: Ctx, i: int, links: frozenset[str]) -> bool:
    low = ctx.lower(i)
    return (
        low in ctx.gen_preps
        or low in ctx.portfolio
        or low in links
        or _skippable(ctx, i)
        or (i in ctx.country_at and span_kind(ctx.country_at[i]) in {"name", "demonym"})
    )


def _person_at(ctx: Ctx, i: int) -> bool:
    """A person's name at token ``i``: the NER's, the KB's, or two capitalised proper nouns
    that are no country or organisation (the NER calls "Ban Ki-moon" MISC)."""
    if any(e.start <= i < e.end for e in ctx.ents if e.label_ in PERSON_LABELS):
        return True
    if any(p.start <= i < p.end for p in ctx.persons):
        return True
    pair = [ctx.doc[k] for k in (i, i + 1) if k < len(ctx.doc)]
    return len(pair) == 2 and all(
        t.pos_ == "PROPN" and t.is_title and t.i not in ctx.country_at and t.i not in ctx.org_at
        for t in pair
    )


def _gap_within(ctx: Ctx, start: int, end: int, limit: int) -> bool:
    """At most ``limit`` words between a role and an organisation, not counting a state's name
    ("de la Russie auprès des", "of the Islamic Republic of Iran to the": four words each).
    Stops at the first word past the limit: every role of the document before the organisation
    is tried, and counting each whole stretch made this the enricher's hottest loop."""
    words = 0
    for i in range(start, end):
        if i not in ctx.country_at:
            words += 1
            if words > limit:
                return False
    return True


def in_person_title(ctx: Ctx, start: int, end: int, *, before_role: bool = True) -> bool:
    """The organisation at ``start:end`` is part of a named person's title: a role word leads to
    it through link words only ("spokesperson for X", "porte-parole du X", "ambassador to the UN")
    and a person's name stands right after the organisation or right before the role
    ("X Maria Zakharova", "Dhakal, spokesperson for X"). Without a name ("a spokesman for the
    Iranian Foreign Ministry said") the organisation itself is in the story and is kept.
    ``before_role=False`` leaves out the organisation written before the role ("US State
    Department Secretary Antony Blinken"), for a KB name that carries the only word of its
    state: dropped, it would take the state out of the story."""
    if before_role and _names_role_of_person(ctx, start, end):
        return True
    role = next(
        (r for r in ctx.roles if r.end <= start and _gap_within(ctx, r.end, start, TITLE_GAP)),
        None,
    )
    links = ctx.kb.words("title_links")
    if role is None or not all(_title_link(ctx, i, links) for i in range(role.end, start)):
        return False
    if role.end == start:
        return False  # "Foreign Ministry spokesman": the organisation names the role's employer
    after = end
    # ", le Sud-Coréen Ban Ki-moon": a comma, an article and a nationality word may come first.
    while after < len(ctx.doc) and (
        ctx.lower(after) == ","
        or _skippable(ctx, after)
        or (after in ctx.country_at and span_kind(ctx.country_at[after]) == "demonym")
    ):
        after += 1
    if after < len(ctx.doc) and _person_at(ctx, after) and ctx.same_sent(start, after):
        return True
    before = role.start - 1
    while before >= 0 and (ctx.lower(before) == "," or _skippable(ctx, before)):
        before -= 1
    return before >= 0 and _person_at(ctx, before) and ctx.same_sent(before, start)


def _names_role_of_person(ctx: Ctx, start: int, end: int) -> bool:
    """The organisation premodifies a named person's role: "Chinese Foreign Ministry
    spokesperson Mao Ning", "UN Secretary-General António Guterres", "U.N. Ambassador Wang
    Guangya" (the role may begin inside the organisation's words: "US Treasury Secretary")."""
    return any(
        start < r.start <= end < r.end < len(ctx.doc)
        and _person_at(ctx, r.end)
        and ctx.same_sent(start, r.end)
        for r in ctx.roles
    )


def is_dateline(ctx: Ctx, start: int, end: int) -> bool:
    """'UNITED NATIONS (AP) --', 'United Nations: Maintaining its neutrality, ...': a place
    heading the body's first line (where the story was filed), not the organisation acting."""
    doc = ctx.doc
    line_start = start == 0 or "\n" in doc[start - 1].text_with_ws or doc[start - 1].is_space
    if not line_start or end >= len(doc) or ctx.sent[start] == 0:
        return False
    nxt = doc[end].text
    span_text = doc[start:end].text
    return (span_text.isupper() and len(span_text) > 3 and nxt in {"(", ",", "-", "–", "—"}) or (
        nxt == ":" and not span_text.isupper()
    )


def inside_longer_name(ctx: Ctx, start: int) -> bool:
    """ "Iran's Supreme National Security Council": a KB name ("Security Council") whose
    capitalised words run on from a capitalised word before it, inside a sentence, is the tail
    of another body's name."""
    i = start - 1
    if i < 1 or i in ctx.country_at or i in ctx.org_at or ctx.sent[i - 1] != ctx.sent[i]:
        return False
    before, first = ctx.doc[i], ctx.doc[start]
    return (
        before.is_title
        and first.is_title
        and before.pos_ in {"PROPN", "ADJ"}
        and not _skippable(ctx, i)
        and not ctx.doc[i - 1].is_punct
        and not ctx.doc[i - 1].is_space
    )


def parent_of_named_organ(ctx: Ctx, start: int) -> bool:
    """'Assemblée générale *des Nations Unies*', 'Security Council *of the United Nations*': the
    parent body right after an organ of it (through a genitive) is part of the organ's name; only
    the organ is named."""
    i = start - 1
    saw_gen = False
    while i >= 0 and (ctx.lower(i) in ctx.gen_preps or ctx.lower(i) in ctx.articles):
        saw_gen = saw_gen or ctx.lower(i) in ctx.gen_preps
        i -= 1
    return saw_gen and i >= 0 and i in ctx.org_at and ctx.org_at[i].end == i + 1


def inside_document_name(ctx: Ctx, start: int, end: int) -> bool:
    """'UN Charter', 'United Nations Convention on the Law of the Sea', 'Charte des Nations unies':
    the organisation's name is part of a treaty's or a charter's name, not the organisation."""
    documents = ctx.kb.words("document_nouns")
    if ctx.lower(end) in documents:
        return True
    i = start - 1
    saw_gen = False
    while i >= 0 and (ctx.lower(i) in ctx.gen_preps or ctx.lower(i) in ctx.articles):
        saw_gen = saw_gen or ctx.lower(i) in ctx.gen_preps
        i -= 1
    return saw_gen and ctx.lower(i) in documents


def _place_name_at(ctx: Ctx, k: int) -> int:
    """End of a place name starting at ``k`` (a capital, or one to three capitalised words that
    are not a country), or ``k`` when there is none."""
    doc = ctx.doc
    c = ctx.country_at.get(k)
    if c is not None:
        return c.end if c.start == k and span_kind(c) == "capital" else k
    end = k
    while end < len(doc) and end - k < 3 and doc[end].is_title and doc[end].pos_ == "PROPN":
        end += 1
    return end


def city_list_after(ctx: Ctx, i: int) -> tuple[list[str], int]:
    """'in Klaipeda, Liepaja, Daugavpils and Narva' → the city names (two or more) and where the
    list ends; ([], i) when there is no such list."""
    doc = ctx.doc
    if ctx.lower(i) not in ctx.loc_preps:
        return [], i
    k = i + 1
    while k < len(doc) and doc[k].lower_ in ctx.articles:
        k += 1
    cities: list[str] = []
    end = i
    while k < len(doc):
        e = _place_name_at(ctx, k)
        if e == k:
            break
        cities.append(doc[k:e].text)
        end = e
        if ctx.lower(e) not in ctx.coord:
            break
        k = e + 1
        if ctx.lower(k) in ctx.coord:  # ", and"
            k += 1
    return (cities, end) if len(cities) >= 2 else ([], i)


# A ministry's portfolio before its state: "Ministry of Physical Infrastructure and Transport
# of Nepal" has five words between the head and the state's genitive; longer runs are prose.
PORTFOLIO_MAX = 6


def portfolio_then_state(ctx: Ctx, i: int) -> tuple[Span | None, int]:
    """'of Finance of Nepal', "de l'Industrie et du Commerce de la République socialiste du
    Vietnam" right after a ministry head: the state named after the portfolio (through a
    genitive) and where it ends; (None, i) when the words after the head are not a portfolio."""
    doc = ctx.doc
    if ctx.lower(i) not in ctx.gen_preps:
        return None, i
    k = i + 1
    words = 0
    while k < len(doc) and words <= PORTFOLIO_MAX:
        low = ctx.lower(k)
        if low in ctx.gen_preps and words:
            j = k + 1
            while j < len(doc) and doc[j].lower_ in ctx.articles:
                j += 1
            c = ctx.country_at.get(j)
            if c is not None and c.start == j and span_kind(c) == "name":
                return c, c.end
        else:
            portfolio_word = doc[k].is_title or low in ctx.articles or low in ctx.coord
            if k in ctx.country_at or k in ctx.org_at or not portfolio_word:
                return None, i
        if doc[k].is_title:
            words += 1
        k += 1
    return None, i
