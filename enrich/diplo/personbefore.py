"""Persons: a name right before ", [state's] ROLE" that the NER missed or filed as a place
(issue 12 part 3): "Sameh Shoukry, Egypt’s Foreign Minister, said" ("Shoukry" a GPE, "Sameh" no
entity). The role after the name is read by ``personroles.role_right`` as for any name; this only
makes the candidate."""

from diplowire.enrich.diplo.context import Ctx, PersonFound

# What may stand between the comma and the role: "Egypt’s", "the", "Bhutan's senior".
_GAP_POS = frozenset({"DET", "ADJ", "PROPN", "PART", "PRON"})
# Labels the small models give such names; dates, numbers and events are never names.
_NAME_LABELS = frozenset({"", "PER", "PERSON", "GPE", "LOC", "ORG", "MISC", "NORP"})
_MIN_WORDS, _MAX_WORDS = 2, 4


def _name_word(ctx: Ctx, i: int, roles: set[int]) -> bool:
    tok = ctx.doc[i]
    return (
        tok.is_title
        and tok.is_alpha
        and tok.ent_type_ in _NAME_LABELS
        and i not in ctx.country_at
        and i not in ctx.org_at
        and i not in roles
        and tok.lower_ not in ctx.non_name_words
    )


def names_before_roles(ctx: Ctx, taken: set[int]) -> list[PersonFound]:
    """Two to four title-case words, none a state, a body, a role or a listed common word,
    right before a comma that a role follows within four words of a possessive state, articles
    or adjectives; the word before the name is neither title case (the name would be the tail of
    a longer capitalised phrase) nor an article."""
    doc = ctx.doc
    roles = {i for r in ctx.roles for i in range(r.start, r.end)}
    out: list[PersonFound] = []
    for role in ctx.roles:
        comma = role.start - 1
        while comma >= 0 and role.start - comma <= 5 and doc[comma].text != ",":
            if not (
                doc[comma].pos_ in _GAP_POS
                or comma in ctx.country_at
                or ctx.lower(comma) in ctx.poss
            ):
                break
            comma -= 1
        if comma < 1 or doc[comma].text != "," or not ctx.same_sent(comma, role.start):
            continue
        start = comma
        while start > 0 and comma - start < _MAX_WORDS + 1:
            k = start - 1
            if k in taken or not _name_word(ctx, k, roles) or not ctx.same_sent(k, comma):
                break
            start = k
        if not _MIN_WORDS <= comma - start <= _MAX_WORDS:
            continue
        if start > 0 and doc[start - 1].is_title and doc[start - 1].is_alpha:
            continue
        # After an article it names a place or a thing: "sur la Grande Île, le président ...";
        # after a preposition it may be a name ("at the office of Md Najmul Huda, the Director
        # General").
        if start > 0 and (doc[start - 1].pos_ == "DET" or ctx.lower(start - 1) in ctx.articles):
            continue
        out.append(PersonFound(doc[start:comma].text, start, comma))
        taken.update(range(start, comma))
    return out
