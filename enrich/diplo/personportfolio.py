"""Where a minister's portfolio ends and the name after it begins.

The NER often files "Minister of Science and Technology Nguyen Manh Hung" as one ORG, so the
portfolio walk in persons.py cannot rely on entity types to find the name: it stops at the first
capitalised word after a known portfolio noun ("Technology", "Competition", "Tourism") that is
no portfolio noun itself.
"""

from diplowire.enrich import kb as kbmod
from diplowire.enrich.diplo.context import Ctx

# The lexicon's word lists this rule reads (tests/enrich/test_lexicon_keys.py):
# "portfolio_nouns", last words of cabinet portfolios the lexicon's non-name list lacks (a
# portfolio ends on one of them or on a word of that list), and "body_nouns", heads of bodies
# and texts a portfolio word can open ("Cooperation Action Plan").
LEXICON_KEYS = ("portfolio_nouns", "body_nouns")


def portfolio_closed(ctx: Ctx, k: int) -> bool:
    """True when token ``k`` opens a name: the word before it is a portfolio noun of the KB's
    lexicon and ``k`` is a proper noun that is none, nor a joining word, a state or an honorific."""
    doc = ctx.doc
    portfolio_nouns = kbmod.lexicon_words(ctx.kb.lang, "portfolio_nouns")
    body_nouns = kbmod.lexicon_words(ctx.kb.lang, "body_nouns")
    if k < 1 or not (ctx.lower(k - 1) in ctx.non_name_words or ctx.lower(k - 1) in portfolio_nouns):
        return False
    tok = doc[k]
    if tok.lower_ in ctx.non_name_words or tok.lower_ in ctx.portfolio_words:
        return False
    if tok.lower_ in portfolio_nouns:
        return False
    if k in ctx.country_at or k in ctx.org_at or tok.text in ctx.honorifics:
        return False
    if not tok.is_alpha or tok.pos_ != "PROPN":
        return False
    # A name has a second capitalised word ("Ebrahim Patel"); a lone one is more likely the
    # portfolio's next word ("Affairs Abroad").
    nxt = doc[k + 1] if k + 1 < len(doc) else None
    if nxt is None or not (nxt.is_title and nxt.is_alpha):
        return False
    # "Cooperation Action Plan", "National Intelligence Organisation": a body or a text goes on.
    after = nxt.lower_
    return not (
        after in body_nouns
        or after in ctx.non_name_words
        or after in ctx.kb.words("agency_heads")
        or tok.lower_ in body_nouns
    )
