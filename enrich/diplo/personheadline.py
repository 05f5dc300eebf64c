"""Capitalised headline words are no names: "Foreign Minister Calls on Sri Lankan President",
"Kosovo-Serbia Dialogue Should Resume without Delay, Says EU Envoy Lajcak", "Agree to Solve GERD
Crisis by Mid January". English headlines in title case capitalise every content word, so the
name rules read verbs and nouns after a role as names. A person the article names in its headline
is named again in the body (the body tells the story); a "name" only in a title-case headline that
the body never prints and the KB does not know is a headline word."""

from collections.abc import Sequence

from spacy.tokens import Doc

from diplowire.enrich.diplo.context import Ctx, PersonFound

# Content words a title-case headline capitalises; shorter ones ("of", "to", "and", "with") are
# often left lower case, so they are not counted.
_CONTENT_LEN = 4
# Share of content words capitalised from which a headline is written in title case.
_TITLE_CASE_SHARE = 0.75


def title_case(doc: Doc, end: int) -> bool:
    words = [t for t in doc[:end] if t.is_alpha and len(t.text) >= _CONTENT_LEN]
    if len(words) < 3:
        return False
    caps = sum(1 for t in words if t.text[0].isupper())
    return caps >= _TITLE_CASE_SHARE * len(words)


def headline_word(ctx: Ctx, members: Sequence[PersonFound]) -> bool:
    """Every mention sits in a title-case headline, none is a KB person, and the body never
    prints the name nor its last word."""
    doc = ctx.doc
    end = ctx.title_end
    if end == 0 or any(m.end > end or m.kb_index is not None for m in members):
        return False
    if not title_case(doc, end):
        return False
    body = doc[end:]
    body_words = {t.text for t in body}
    for m in members:
        name = doc[m.start : m.end]
        if name.text in body.text or name[-1].text in body_words:
            return False
    return True
