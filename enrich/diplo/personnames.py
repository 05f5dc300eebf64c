"""Persons: what a name is (a name, an elided tail, capitalised words that name no one, a name
that labels something else) and the key persons are grouped by (surname, or given name for
patronymic names)."""

from spacy.tokens import Token

from diplowire.enrich import kb as kbmod
from diplowire.enrich.diplo.context import PERSON_LABELS, Ctx, PersonFound
from diplowire.enrich.kb import norm

# The lexicon's word lists read here (tests/enrich/test_lexicon_keys.py): "role_genitives", the
# genitive between a role and a blocker ("président du gouvernement Louis Mapou").
LEXICON_KEYS = ("role_genitives", "patronymic_particles")


def elided(text: str) -> bool:
    low = text.lower()
    return low in {"'s", "’s", "‘s", "'", "’"} or (len(low) <= 3 and low.endswith(("'", "’")))


def named_entity_word(tok: Token) -> bool:
    """A capitalised word inside an entity, not opening the sentence, is a name even when the
    tagger calls it a verb (machine-translated text: "centrale Coulter")."""
    return (
        tok.is_title
        and tok.ent_type_ != ""
        and tok.i > 0
        and not tok.is_sent_start
        and (tok.nbor(-1).is_alpha)
    )


def non_name(ctx: Ctx, p: PersonFound) -> bool:
    """'Tourism', 'Prime Minister', 'Jeudi', 'Foreign': capitalised words that name no one.

    Every word is a role word, an organisation head word or a listed common word; or the name
    ends in a plural proper noun ("Governors", "Chilean Mayors": English tag NNPS).
    """
    last = ctx.doc[p.end - 1]
    # The tagger also reads surnames ending in -s as plurals ("Edgars Rinkevics", "Landsbergis",
    # "Kallas"): a plural counts only when its singular is a role or head word, or when the NER
    # does not call the span a person.
    singular = last.lower_[:-1] if last.lower_.endswith("s") else last.lower_
    if last.tag_ == "NNPS" and (
        last.ent_type_ not in PERSON_LABELS or singular in ctx.non_name_words
    ):
        return True
    words = [
        ctx.lower(i)
        for i in range(p.start, p.end)
        if any(c.isalpha() for c in ctx.lower(i)) and i not in ctx.country_at  # "Top Azerbaijani"
    ]
    return all(w in ctx.non_name_words for w in words)


def blocked(ctx: Ctx, p: PersonFound) -> bool:
    """'l'administration Trump', 'the Trump administration': a name that labels something else.

    Not when the word before ends a role phrase: "le président du gouvernement Louis Mapou",
    "Head of Government X" name the holder of that office.
    """
    if ctx.lower(p.end) in ctx.blockers:
        return True
    if ctx.lower(p.start - 1) not in ctx.blockers:
        return False
    genitive = ctx.lower(p.start - 2) in kbmod.lexicon_words(ctx.kb.lang, "role_genitives")
    return not any(
        r.start < p.start - 1 and (r.end == p.start or (genitive and r.end == p.start - 2))
        for r in ctx.roles
    )


def given_name_keys(ctx: Ctx, cands: list[PersonFound]) -> dict[str, str]:
    """'Sheikh Tamim' after 'Tamim bin Hamad Al-Thani': names built on a patronymic are
    referred to by the given name, not the last word. Given name -> that person's group key,
    left out when two such persons share it."""
    out: dict[str, str] = {}
    shared: set[str] = set()
    patronymic = kbmod.lexicon_words(ctx.kb.lang, "patronymic_particles")
    for p in cands:
        words = words_of(p.name)
        if len(words) >= 3 and any(w in patronymic for w in words[1:-1]):
            key = surname_key(ctx, p)
            if out.get(words[0], key) != key:
                shared.add(words[0])
            out[words[0]] = key
    return {w: k for w, k in out.items() if w not in shared}


def words_of(name: str) -> list[str]:
    return [w for w in norm(name).split(" ") if w]


def surname_key(ctx: Ctx, p: PersonFound) -> str:
    if p.kb_index is not None:
        return "kb:" + norm(ctx.kb.persons[p.kb_index].canonical).split(" ")[-1]
    parts = [t for t in norm(p.name).split(" ") if t]
    return "kb:" + parts[-1] if parts else p.name
