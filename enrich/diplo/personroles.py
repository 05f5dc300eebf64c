"""Persons: which role phrase a name holds (before it, or after it across a comma), and what
that role says: the office, whose state it is, where the holder is posted."""

from spacy.tokens import Span

from diplowire.enrich.diplo.context import (
    POSTED_ROLES,
    ROLE_WINDOW,
    Ctx,
    PersonFound,
    span_code,
    span_kind,
)
from diplowire.enrich.diplo.organisations import adjacent_country
from diplowire.enrich.diplo.personlinks import complement, gap_ok


def role_left(ctx: Ctx, p: PersonFound) -> Span | None:
    best = None
    for role in ctx.roles:
        if role.end > p.start or p.start - role.end > ROLE_WINDOW:
            continue
        if not ctx.same_sent(role.start, p.start):
            continue
        if not gap_ok(ctx, role.end, p.start) or complement(ctx, role.end, p):
            continue
        if best is None or role.end > best.end:
            best = role
    return best


# Words that make a role after the name its predicate: "X, 57 ans, est la nouvelle secrétaire
# générale", "X was appointed ambassador", "X a été nommé ministre", "X serves as envoy".
_LINKS = frozenset(
    {
        "est", "était", "sera", "devient", "reste", "été", "nommé", "nommée", "désigné",
        "désignée", "élu", "élue", "reconduit", "reconduite", "comme",
        "is", "was", "becomes", "became", "remains", "been", "appointed", "named", "elected",
        "serves", "served", "as",
    }
)  # fmt: skip
# An age between the name and its verb: ", 57 ans,", ", 62,", ", 45 years old,".
_AGE_WORDS = frozenset({"ans", "an", "years", "year", "old", "-"})
_RELATIVES = frozenset({"qui", "who"})
# One plural role after a list of names: "X et Y, respectivement ministres des Affaires
# étrangères du Maroc et de la Russie", "X and Y, respectively foreign ministers of ...".
_LIST_ADVERBS = frozenset({"respectivement", "respectively"})


def _predicate_role(ctx: Ctx, p: PersonFound) -> Span | None:
    doc = ctx.doc
    k = p.end
    if ctx.lower(k) == "," and ctx.lower(k + 1) in _RELATIVES:
        k += 2  # "X, qui est ambassadeur", "X, who was appointed envoy"
    elif ctx.lower(k) == ",":
        j = k + 1
        while j < len(doc) and (doc[j].like_num or doc[j].lower_ in _AGE_WORDS):
            j += 1
        if j == k + 1 or ctx.lower(j) != ",":
            return None
        k = j + 1
    starts = {r.start: r for r in ctx.roles}
    linked = False
    for i in range(k, min(len(doc), k + 6)):
        if i in starts:
            return starts[i] if linked and ctx.same_sent(p.start, i) else None
        if ctx.lower(i) in _LINKS:
            linked = True
        elif not (doc[i].pos_ in {"DET", "ADJ", "AUX"} or ctx.lower(i) in ctx.poss):
            return None
    return None


def role_right(ctx: Ctx, p: PersonFound) -> Span | None:
    if ctx.lower(p.end) != ",":
        return _predicate_role(ctx, p)
    for role in ctx.roles:
        gap = role.start - (p.end + 1)
        # "Penny Wong, Australia's Foreign Minister": a possessive may sit between.
        if 0 <= gap <= 4 and all(
            ctx.doc[k].pos_ in {"DET", "ADJ", "ADP", "PROPN", "PART", "NUM", "PRON"}
            or k in ctx.country_at
            or ctx.lower(k) in ctx.poss
            or ctx.lower(k) in _LIST_ADVERBS
            for k in range(p.end + 1, role.start)
        ):
            return role
    return _predicate_role(ctx, p)


def role_facts(
    ctx: Ctx, role: Span, p: PersonFound, left: bool
) -> tuple[str, str | None, str | None]:
    entry = ctx.kb.roles[int(span_code(role))]
    if not left and any(ctx.lower(k) in _LIST_ADVERBS for k in range(p.end, role.start)):
        # "respectivement ministres ... du Maroc et de la Jordanie": which state is whose is
        # in the order of the list, not in what is nearest; the role alone is sure.
        return entry.role, None, None
    country = None
    posted = None
    doc = ctx.doc
    # Where the office is said: before the role ("Russian Foreign Minister", "Iran's deputy ..."),
    # and between role and name ("l'ambassadeur de la Russie à Washington, X").
    lo = role.start - 3
    if left:
        region = range(max(0, lo), p.start)
    else:
        region = range(max(0, lo), min(len(doc), role.end + ROLE_WINDOW))
    seen_orgs: set[int] = set()
    for i in region:
        if i in ctx.org_at and i not in seen_orgs:
            o = ctx.org_at[i]
            seen_orgs.update(range(o.start, o.end))
            entry_o = ctx.kb.orgs_by_id[span_code(o)]
            if country is None and entry_o.country:
                country = entry_o.country
            continue
        c = ctx.country_at.get(i)
        if c is None or c.start != i:
            continue
        if not ctx.same_sent(i, role.start):
            continue
        prev = ctx.lower(i - 1)
        prev2 = ctx.lower(i - 2)
        code = span_code(c)
        if prev in ctx.portfolio or prev2 in ctx.portfolio:
            continue
        if (prev in ctx.loc_preps or (prev in ctx.articles and prev2 in ctx.loc_preps)) and (
            i > role.start or span_kind(c) == "capital"
        ):
            # After the role, where the holder is posted; before it, a city is the venue ("à
            # Hanoï le président français X" is not Viet Nam's president), while a state may
            # still own the office ("according to Iran's deputy foreign minister").
            if i > role.start and posted is None and entry.role in POSTED_ROLES:
                posted = code
            continue
        if country is None:
            country = code
    if country is None:
        for h in ctx.heads:
            if role.start - 3 <= h.start < p.start and h.start >= role.end:
                country = adjacent_country(ctx, h.start, h.end)
                if country:
                    break
    if country is None and not left and p.start - 1 in ctx.country_at:
        # "La rwandaise Louise Mushikiwabo, ..., est la nouvelle secrétaire générale": the
        # nationality word right before the name, when the role after it names no state.
        c = ctx.country_at[p.start - 1]
        if span_kind(c) == "demonym":
            country = span_code(c)
    if country is None:
        country = entry.default_country
    if posted == country:
        posted = None
    return entry.role, country, posted
