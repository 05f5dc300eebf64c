"""Persons: candidates from the NER and the KB, with the role, country and posting their context
gives them, merged by surname; only officials are kept."""

from collections import defaultdict

from diplowire.enrich import kb as kbmod
from diplowire.enrich.diplo.context import (
    PERSON_LABELS,
    ROLE_WINDOW,
    Ctx,
    PersonFound,
    longest,
    span_code,
)
from diplowire.enrich.diplo.personacts import (
    acting_subject,
    diplomatic_sentence,
    non_official_near,
)
from diplowire.enrich.diplo.personbefore import names_before_roles
from diplowire.enrich.diplo.personcues import accredited_envoy, capitals_names
from diplowire.enrich.diplo.personformer import FormerMarks, era_mention
from diplowire.enrich.diplo.personheadline import headline_word
from diplowire.enrich.diplo.personhonor import honorific_names
from diplowire.enrich.diplo.personlinks import (
    alias_keys,
    anchored,
    display_name,
    excluded_holder,
    misread_name,
    name_end,
    plural_role,
    portfolio_comma,
    spread_list_roles,
)
from diplowire.enrich.diplo.personmerge import merge_contained
from diplowire.enrich.diplo.personnames import (
    blocked,
    elided,
    given_name_keys,
    named_entity_word,
    non_name,
    surname_key,
    words_of,
)
from diplowire.enrich.diplo.personportfolio import portfolio_closed
from diplowire.enrich.diplo.personroles import role_facts, role_left, role_right

# The lexicon.json words this module reads (tests/enrich/test_lexicon_keys.py).
LEXICON_KEYS = ("genitive_preps", "patronymic_particles")


def person_candidates(ctx: Ctx) -> list[PersonFound]:
    doc = ctx.doc
    genitives = kbmod.lexicon_words(ctx.kb.lang, "genitive_preps")
    taken: set[int] = set()
    out: list[PersonFound] = []
    for span in longest(ctx.persons):
        idx = int(span_code(span))
        nxt = doc[span.end] if span.end < len(doc) else None
        longer = nxt is not None and nxt.is_title and nxt.pos_ == "PROPN"
        if len(span) == 1 and longer and span.end not in ctx.country_at:
            continue  # part of a longer, different name
        if len(span) == 1 and doc[span.start].pos_ not in {"PROPN", "NOUN", "ADJ"}:
            continue
        out.append(PersonFound(span.text, span.start, span.end, kb_index=idx))
        taken.update(range(span.start, span.end))
    for ent in doc.ents:
        if ent.label_ not in PERSON_LABELS or any(i in taken for i in range(ent.start, ent.end)):
            continue
        start = ent.start
        role_tokens = {i for r in ctx.roles for i in range(r.start, r.end)}
        # NER often swallows the title: "Spokeswoman Maria Zakharova", "Consul Khalit Aisin".
        while start < ent.end and (
            doc[start].text in ctx.honorifics
            or start in role_tokens
            or start in ctx.country_at
            # An elided article or preposition the NER took in: "[L’Ouzbékistan] et le
            # Kazakhstan", "[L’Asean] exclut..." (a headline's first word).
            or elided(doc[start].text)
        ):
            # ... or the state of the role before it: "Myanmar Ambassador to [Bangladesh Aung
            # Kyaw Moe]".
            start += 1
        end = ent.end
        # The NER also takes in the state after the name: "[Chavkat Mirziïoïev d'Ouzbékistan]",
        # "[Faure Gnassingbé of Togo]".
        if end - 1 in ctx.country_at:
            cut = ctx.country_at[end - 1].start
            while cut > start and ctx.lower(cut - 1) in genitives:
                cut -= 1
            if cut > start and cut < end and ctx.lower(cut) in genitives:
                end = cut
        # "Président de la République": the tail of a role phrase is no name; nor an elided word
        # the NER kept ("Madrid n’", "Samaraweera‘s").
        while start < end and not doc[start].is_title and not doc[start].is_upper:
            start += 1
        while end > start and elided(doc[end - 1].text):
            end -= 1
        if start >= end:
            continue
        span = doc[start:end]
        if all(i in ctx.country_at or i in ctx.org_at for i in range(span.start, span.end)):
            continue
        if not any(c.isupper() for c in span.text):
            continue
        out.append(PersonFound(span.text, span.start, span.end))
        taken.update(range(span.start, span.end))
    # Names the NER missed right after a role word: "la sonate de l'Europe centrale Coulter".
    for role in ctx.roles:
        k = role.end
        limit = min(len(doc), role.end + ROLE_WINDOW)
        while (
            k < limit
            and ctx.same_sent(role.start, k)
            and (
                doc[k].pos_ not in {"VERB", "AUX"}
                or named_entity_word(doc[k])
                or k in ctx.country_at  # "rwandaise" tagged as a verb
            )
        ):
            tok = doc[k]
            if k in taken:
                break
            if (
                k > role.end
                and tok.is_title
                and ctx.lower(k - 1) in ctx.portfolio_words
                and k not in ctx.country_at  # "l'ambassadeur de France Sylvain Itte"
            ):
                # "Minister of Tourism", "ministre de l'Équipement": the portfolio, not a name.
                k += 1
                # An honorific ends the portfolio: "MINISTER of Foreign and Caricom Affairs Dr
                # Amery Browne".
                while (
                    k < limit
                    and doc[k].text not in ctx.honorifics
                    and (
                        doc[k].lower_ in ctx.non_name_words
                        or (doc[k].lower_ in ctx.portfolio_words and k + 1 < limit)
                        or (doc[k].is_title and ctx.lower(k - 1) in ctx.portfolio_words)
                        # A portfolio of several words ("of Civil Aviation"), not a name after it.
                        or (
                            doc[k].is_title
                            and doc[k - 1].is_title
                            and doc[k].ent_type_ not in PERSON_LABELS
                            and k - 1 not in ctx.country_at
                            # A known portfolio noun closes it: "Science and Technology
                            # [Nguyen Manh Hung]", which the NER files as one ORG.
                            and not portfolio_closed(ctx, k)
                        )
                    )
                ):
                    k += 1
                k = portfolio_comma(ctx, k, limit)
                continue
            misread = tok.ent_type_ not in {"", "PER", "PERSON"} and (
                misread_name(ctx, k) or portfolio_closed(ctx, k)
            )
            if (
                tok.is_title
                and (tok.pos_ == "PROPN" or named_entity_word(tok) or misread)
                and k not in ctx.country_at
                and k not in ctx.org_at
                and (tok.ent_type_ in {"", "PER", "PERSON"} or misread)
                and (k + 1 >= len(doc) or not doc[k + 1].is_title or doc[k + 1].pos_ == "PROPN")
            ):
                end = name_end(ctx, k)
                if end - k <= 4:
                    out.append(PersonFound(doc[k:end].text, k, end))
                    taken.update(range(k, end))
                break
            k += 1
    out += capitals_names(ctx, taken)
    out += honorific_names(ctx, taken)
    out += names_before_roles(ctx, taken)
    return out


def resolve_persons(
    ctx: Ctx, cands: list[PersonFound], day: str | None = None
) -> list[PersonFound]:
    cands = [p for p in cands if p.kb_index is not None or not non_name(ctx, p)]
    plural: set[int] = set()
    marks = FormerMarks()
    for p in cands:
        if blocked(ctx, p):
            p.official = False
            continue
        left = role_left(ctx, p) if not p.title_only else None
        right = role_right(ctx, p) if left is None and not p.title_only else None
        role = left or right
        former = role is not None and excluded_holder(ctx, role, p, left is not None)
        current = role is not None and not former and anchored(ctx, role, p, left is not None)
        marks.mark(p, former=former or (not current and era_mention(ctx, p)), current=current)
        if role is not None and current:
            p.role, p.country, p.posted_to = role_facts(ctx, role, p, left is not None)
            p.official = True
            if plural_role(ctx, role):
                plural.add(id(p))
        if p.kb_index is not None and not former:
            entry = ctx.kb.persons[p.kb_index]
            # Only inside a term of office when the article's date is known (Merz before 2025-05).
            kb_role = entry.role_on(day)
            if kb_role is not None:
                p.official = True
                p.role = p.role or kb_role
                # The KB knows whose office it is on that day; context only guesses.
                p.country = entry.country or p.country
        if not p.official and not p.title_only and not former and _speaker(ctx, p):
            p.official = True
        if not p.official and not p.title_only and not former and acting_subject(ctx, p):
            p.official = True
        if not p.official and not p.title_only and not former and p.kb_index is None:
            envoy, country = accredited_envoy(ctx, p)
            if envoy and not non_official_near(ctx, p):
                p.official, p.role, p.country = True, "ambassador", country
    spread_list_roles(ctx, cands, plural)
    _bind_lede_role(ctx, cands)
    # Coreference by surname: "M. Hammond", "Attal" after "Gabriel Attal".
    groups: dict[str, list[PersonFound]] = defaultdict(list)
    given = given_name_keys(ctx, cands)
    kept = [p for p in cands if not (blocked(ctx, p) and p.kb_index is None)]
    bares = [[w for w in words_of(p.name) if w not in ctx.honorific_words] for p in kept]
    keys = [
        (given.get(bare[0]) if len(bare) == 1 else None) or surname_key(ctx, p)
        for p, bare in zip(kept, bares, strict=True)
    ]
    for p, key in zip(kept, alias_keys(bares, keys), strict=True):
        groups[key].append(p)
    out: list[PersonFound] = []
    for members in groups.values():
        if not any(m.official for m in members):
            continue
        if all(blocked(ctx, m) for m in members):
            continue
        if marks.former_group(members, lambda m: _still_acts(ctx, m)):
            continue
        if headline_word(ctx, members):
            continue
        best = max(members, key=lambda m: (m.official and m.role is not None, len(m.name)))
        rep = PersonFound(
            name=display_name(ctx, max((m.name for m in members), key=len)),
            start=min(m.start for m in members),
            end=best.end,
            kb_index=next((m.kb_index for m in members if m.kb_index is not None), None),
            role=next((m.role for m in members if m.role and m.role != "counterpart"), None),
            country=next((m.country for m in members if m.country), None),
            posted_to=next((m.posted_to for m in members if m.posted_to), None),
            official=True,
        )
        if rep.kb_index is not None and " " not in rep.name.strip():
            rep.name = ctx.kb.persons[rep.kb_index].canonical
        rep.spans = [(m.start, m.end) for m in members]
        out.append(rep)
    # "rencontre Ouattara-Sleimane": a hyphenated pair of two people already found.
    surnames = {words_of(p.name)[-1] for p in out if words_of(p.name)}
    out = [
        p
        for p in out
        if not (
            "-" in p.name
            and all(w in surnames for w in p.name.lower().split("-"))
            and len(p.name.split("-")) == 2
            and " " not in p.name
        )
    ]
    merged = merge_contained(out, kbmod.lexicon_words(ctx.kb.lang, "patronymic_particles"))
    return sorted(merged, key=lambda p: p.start)


def _still_acts(ctx: Ctx, p: PersonFound) -> bool:
    return not p.title_only and (_speaker(ctx, p) or acting_subject(ctx, p))


def _speech_verb(ctx: Ctx, i: int) -> bool:
    if not 0 <= i < len(ctx.doc):
        return False
    tok = ctx.doc[i]
    if tok.pos_ not in {"VERB", "AUX"}:
        return False
    return tok.lower_ in ctx.speech_verbs or tok.lemma_.lower() in ctx.speech_verbs


def _speaker(ctx: Ctx, p: PersonFound) -> bool:
    """'X said', 'a déclaré X', 'selon X' in a sentence that names a state or a diplomatic body.

    Speakers quoted beside a state are nearly always its officials; journalists, scholars,
    candidates and former officials are kept out by the nouns around the name.
    """
    doc = ctx.doc
    if p.kb_index is None and not any(
        e.label_ in PERSON_LABELS and e.start <= p.start < e.end for e in ctx.ents
    ):
        return False
    after = p.end + 1 if ctx.lower(p.end) == "," else p.end
    said = (
        _speech_verb(ctx, after)
        or (ctx.lower(p.end) in {"has", "had", "a", "avait"} and _speech_verb(ctx, p.end + 1))
        # "X was quoted as saying": the passive of the report names the speaker too.
        or (ctx.lower(p.end) in {"was", "is"} and ctx.lower(p.end + 1) == "quoted")
    )
    # Inverted ("a déclaré Peskov.", "said Peskov, adding"): the name ends the clause, else it is
    # the verb's object ("told Der Spiegel magazine"); and the verb follows a quote or a comma,
    # else it has a subject of its own and the name is what was said about ("the ministry said
    # Kingsley Ikeri, a 27-year-old, had been...").
    end = p.end
    if (
        ctx.lower(end) in kbmod.lexicon_words(ctx.kb.lang, "genitive_preps")
        and end + 1 in ctx.country_at
    ):
        end = ctx.country_at[end + 1].end  # '..." said Faure Gnassingbé of Togo.'
    ends_clause = end >= len(doc) or doc[end].is_punct or doc[end].is_space
    verb = p.start - 1
    before = verb - 1
    if ctx.lower(before) in {"has", "had", "a", "avait"}:
        before -= 1
    inverted = before < 0 or doc[before].is_punct or doc[before].is_quote
    said = said or (_speech_verb(ctx, verb) and ends_clause and inverted)
    prev = ctx.lower(p.start - 1)
    said = said or prev in ctx.speech_preps or ctx.lower(p.start - 2) in ctx.speech_preps
    if not said or non_official_near(ctx, p):
        return False
    return diplomatic_sentence(ctx, p.start)


def title_candidates(ctx: Ctx, cands: list[PersonFound]) -> list[PersonFound]:
    """Names in the headline the rules above may not see: '...: Bachelet', a name NER called LOC."""
    doc = ctx.doc
    end = ctx.title_end
    taken = {i for p in cands for i in range(p.start, p.end)}
    out: list[PersonFound] = []

    def free(a: int, b: int) -> bool:
        return all(
            k not in taken and k not in ctx.country_at and k not in ctx.org_at for k in range(a, b)
        )

    colon = max((t.i for t in doc[:end] if t.text == ":"), default=-1)
    if colon >= 0 and 1 <= end - colon - 1 <= 3:
        toks = doc[colon + 1 : end]
        if all(t.is_title and t.is_alpha for t in toks) and free(colon + 1, end):
            out.append(PersonFound(toks.text, colon + 1, end, title_only=True))
    for ent in doc.ents:
        if ent.end > end or ent.label_ in PERSON_LABELS or len(ent) < 2 or len(ent) > 3:
            continue
        if not all(t.is_title and t.pos_ == "PROPN" for t in ent) or not free(ent.start, ent.end):
            continue
        if ctx.lower(ent.start - 1) in ctx.loc_preps or ctx.lower(ent.start - 1) in ctx.articles:
            continue
        out.append(PersonFound(ent.text, ent.start, ent.end, title_only=True))
    return out


def _unattached_role(ctx: Ctx, k: int, end: int, cands: list[PersonFound]) -> bool:
    """A definite role phrase with no name beside it: 'Le chancelier allemand', 'The UN's ...'."""
    doc = ctx.doc
    for p in cands:
        if 0 <= p.start - end <= 3 or (p.end <= k and k - p.end <= 1):
            return False
    j = k - 1
    while j >= 0 and k - j <= 5 and ctx.same_sent(j, k):
        tok = doc[j]
        if tok.pos_ == "DET" or tok.lower_ in ctx.articles or tok.lower_ in ctx.poss:
            return True
        if tok.pos_ in {"VERB", "AUX", "PUNCT"} or tok.is_space:
            return False
        j -= 1
    return False


def _bind_lede_role(ctx: Ctx, cands: list[PersonFound]) -> None:
    """Headline names one person, the lede's first sentence calls someone by role alone: same one.

    'Législatives au Kosovo : nouveau succès pour Albin Kurti' + 'le Premier ministre de gauche
    est...'. Only for a single person in the headline and a role with no name attached.
    """
    doc = ctx.doc
    end = ctx.title_end
    if end == 0:
        return
    in_title = [p for p in cands if p.end <= end and not blocked(ctx, p)]
    if len({surname_key(ctx, p) for p in in_title}) != 1:
        return
    target = in_title[0]
    if any(p.official for p in in_title):
        return
    first = next((t.i for t in doc[end:] if not t.is_space), None)
    if first is None:
        return
    lede = ctx.sent[first]
    for role in ctx.roles:
        if ctx.sent[role.start] == lede and _unattached_role(ctx, role.start, role.end, cands):
            near = PersonFound(target.name, role.end + 3, role.end + 3)
            entry_role, country, _ = role_facts(ctx, role, near, True)
            for p in in_title:
                p.role, p.country, p.official = entry_role, country, True
            return
    for k in range(first, len(doc)):
        if ctx.sent[k] != lede:
            break
        head = doc[k].lower_ in ctx.official_heads and doc[k].pos_ == "NOUN"
        if head and _unattached_role(ctx, k, k + 1, cands):
            for p in in_title:
                p.official = True
            return
