"""Country mentions, and whether each names a state acting in the story or only a place."""

from spacy.tokens import Doc, Span, Token

from diplowire.enrich.diplo.context import PLACE_LABELS, CountryMention, Ctx, span_code, span_kind
from diplowire.enrich.diplo.dateline import dateline_places, in_dateline


def country_mentions(ctx: Ctx) -> list[CountryMention]:
    doc = ctx.doc
    out: list[CountryMention] = []
    dateline = dateline_places(ctx)
    for span in ctx.country:
        if in_dateline(dateline, span):
            continue  # where the story was filed, not a state in it
        kind = span_kind(span)
        m = CountryMention(span_code(span), kind, span.start, span.end)
        prev = ctx.lower(span.start - 1)
        prev2 = ctx.lower(span.start - 2)
        if kind == "capital":
            if _is_dateline(doc, span):
                continue
            if prev in ctx.loc_preps or (prev in ctx.articles and prev2 in ctx.loc_preps):
                m.counted = False  # a city where something happens, not the state
            elif prev == "," and span.start >= 2 and doc[span.start - 2].is_title:
                m.counted = False  # "Seattle, Washington": a locator
            else:
                m.actor = True
        elif kind == "seat":
            m.actor = True
        elif kind == "demonym":
            m.actor = _demonym_is_actor(ctx, span)
        else:
            m.venue = _is_locator(ctx, span)
            m.actor = not m.venue and _name_is_actor(ctx, span)
        out.append(m)
    _propagate_coordination(ctx, out)
    return out


def _is_dateline(doc: Doc, span: Span) -> bool:
    # "MOSCOW, April 26. /TASS/" or "BAGHDAD (Reuters) -": the dateline names where it was filed.
    return span.text.isupper() and len(span.text) > 3


def _is_locator(ctx: Ctx, span: Span) -> bool:
    """The country only locates a city ("la plus grande ville de Türkiye", "Mosul, Iraq",
    "Phnom Penh, Cambodia")."""
    doc = ctx.doc
    i = span.start - 1
    if ctx.lower(i) in ctx.articles:
        i -= 1
    if ctx.lower(i) in ctx.gen_preps:
        j = i - 1
        while j >= 0 and j >= i - 2 and doc[j].pos_ == "ADJ":
            j -= 1
        if ctx.lower(j) in ctx.city_nouns:
            return True
    if (
        ctx.lower(span.start - 1) in {",", "("}
        and span.start >= 2
        and not _relative_subject(ctx, span)
    ):
        before = doc[span.start - 2]
        place = ctx.country_at.get(span.start - 2)
        if place is not None and span_kind(place) != "name" and span_code(place) == span_code(span):
            return True  # "in Phnom Penh, Cambodia": the capital located by its own state
        if before.is_title and before.pos_ == "PROPN" and (span.start - 2) not in ctx.country_at:
            ents = {e.label_ for e in doc.ents if e.start <= span.start - 2 < e.end}
            if ents & PLACE_LABELS or before.ent_type_ == "" or before.ent_type_ in PLACE_LABELS:
                return True
    return False


def _relative_subject(ctx: Ctx, span: Span) -> bool:
    """ "in Bangkok, Thailand, which holds ASEAN's chairmanship": a relative clause says what the
    state does, so it is more than the city's locator."""
    doc = ctx.doc
    j = span.end
    if ctx.lower(j) != "," or j + 1 >= len(doc) or not _relative_pronoun(doc[j + 1]):
        return False
    return any(
        k < len(doc) and doc[k].pos_ in {"VERB", "AUX"} and ctx.same_sent(j, k)
        for k in (j + 2, j + 3)
    )


def _relative_pronoun(tok: Token) -> bool:
    # French tags the morphology (PronType=Rel); the English model only the Penn tag (WDT, WP).
    return "Rel" in tok.morph.get("PronType", []) or tok.tag_ in {"WDT", "WP"}


def _demonym_is_actor(ctx: Ctx, span: Span) -> bool:
    doc = ctx.doc
    window = [span.start - 1, span.start - 2, span.end, span.end + 1]
    for i in window:
        if 0 <= i < len(doc) and doc[i].lower_ in ctx.agent_nouns:
            # "la partie russe", "Russian Foreign Ministry", "forces israéliennes" -- but not
            # former officials ("anciens diplomates libyens", "ex-diplomates"): they act for no one.
            return not _former(ctx, i)
    # A demonym used as a noun and subject: "les Russes ont ...".
    return span.text[:1].isupper() and _followed_by_verb(ctx, span.end)


def _former(ctx: Ctx, i: int) -> bool:
    doc = ctx.doc
    for k in (i - 1, i - 2):
        if 0 <= k < len(doc) and ctx.same_sent(k, i):
            low = doc[k].lower_
            if low in ctx.former or any(low.startswith(f + "-") for f in ctx.former):
                return True
    low = doc[i].lower_
    return any(low.startswith(f + "-") for f in ctx.former)


def _name_is_actor(ctx: Ctx, span: Span) -> bool:
    doc = ctx.doc
    nxt = ctx.lower(span.end)
    if nxt in ctx.poss and ctx.poss:
        # "Iran's deputy foreign minister", "Russia's invasion".
        return any(ctx.lower(span.end + k) in ctx.agent_nouns for k in (1, 2, 3))
    i = span.start - 1
    while i >= 0 and doc[i].pos_ == "DET":
        i -= 1
    if ctx.lower(i) in ctx.agent_preps:
        return True
    head = ctx.lower(i - 1)
    if ctx.lower(i) in ctx.gen_preps and (
        (head in ctx.agent_nouns and head not in ctx.patient_nouns) or i in ctx.role_end
    ):
        # "le représentant de la France", "the government of Iraq", "l'émir du Qatar" (a KB
        # role title right before the genitive); not "the invasion of Ukraine" (the genitive of
        # an action noun names its target).
        return True
    if _hosts_visit(ctx, i) or _ruled_from(ctx, i):
        return True
    # Quotes and other punctuation mis-tagged as ADP ("«La Suisse est ...") are no preposition.
    prev_is_prep = i >= 0 and doc[i].pos_ == "ADP" and doc[i].is_alpha
    return not prev_is_prep and _followed_by_verb(ctx, span.end)


def _hosts_visit(ctx: Ctx, i: int) -> bool:
    """ "first visit to Nepal", "sa visite en Iran": the state receiving a visit takes part."""
    return (
        ctx.lower(i) in ctx.visit_preps
        and ctx.lower(i - 1) in ctx.visit_nouns
        and ctx.same_sent(i - 1, i)
    )


def _ruled_from(ctx: Ctx, i: int) -> bool:
    """ "la junte au pouvoir au Burkina Faso", "the authorities in Kabul": whoever governs there."""
    return ctx.lower(i) in ctx.loc_preps and ctx.lower(i - 1) in ctx.ruling_nouns


def _followed_by_verb(ctx: Ctx, i: int) -> bool:
    doc = ctx.doc
    j = i
    steps = 0
    while j < len(doc) and steps < 8:
        tok = doc[j]
        if tok.pos_ in {"VERB", "AUX"}:
            return True
        if tok.lower_ in ctx.coord and tok.text != "," and _verb_next(ctx, j + 1):
            # "visit Russia and return", "North Korea and sent it": a coordinated verb phrase,
            # so the country ends a clause (an object), it is no subject.
            return False
        if j in ctx.country_at or tok.lower_ in ctx.coord or tok.pos_ in {"DET", "ADV", "PART"}:
            j += 1
            steps += 1
            continue
        if tok.pos_ == "PRON" and steps == 0:
            j += 1
            steps += 1
            continue
        return False
    return False


def _verb_next(ctx: Ctx, j: int) -> bool:
    doc = ctx.doc
    while j < len(doc) and doc[j].pos_ in {"ADV", "PART"}:
        j += 1
    return j < len(doc) and doc[j].pos_ in {"VERB", "AUX"}


def _propagate_coordination(ctx: Ctx, mentions: list[CountryMention]) -> None:
    """ "Les États-Unis et la Russie ont ...": a coordinated chain shares its actor status."""
    doc = ctx.doc
    by_start = sorted(mentions, key=lambda m: m.start)
    chain: list[CountryMention] = []

    def flush() -> None:
        if len(chain) > 1 and any(m.actor for m in chain if m.kind == "name"):
            for m in chain:
                if m.kind == "name" and not m.venue:
                    m.actor = True
        chain.clear()

    for m in by_start:
        if chain:
            gap = range(chain[-1].end, m.start)
            if all(doc[k].lower_ in ctx.coord or doc[k].pos_ == "DET" for k in gap):
                chain.append(m)
                continue
            flush()
        chain.append(m)
    flush()
