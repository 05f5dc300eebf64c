"""Persons: how a role phrase reaches a name (issue 12 part 3).

What lies between a role and its name ("le ministre des Affaires étrangères, de la Coopération
africaine et des Marocains résidant à l'étranger, Nasser Bourita"; "le secrétaire général de
l'Onu, le Sud-Coréen Ban Ki-moon"), names the NER files under another label after a role, roles
that only make an official when a state or a body is named with them ("the Solomon Islands
leader", not "the Hezbollah leader"), former holders and opponents, and one role stated once for
a coordinated list of names ("X et Y, tous deux conseillers politiques").
"""

from functools import cache

from spacy.tokens import Span

from diplowire.enrich import kb as kbmod
from diplowire.enrich.diplo.context import PERSON_LABELS, Ctx, PersonFound, span_code, span_kind
from diplowire.enrich.diplo.personhonor import honorific_end

_VERBISH = frozenset({"VERB", "AUX"})
# Labels under which the small models file a person's name after a role: "le chef de la
# diplomatie rwandaise, Olivier Nduhungirehe" (LOC), "l'ambassadeur de France Sylvain Itte"
# (MISC), "La porte-parole du ministère thaïlandais..., Maratee Nalita Andamo" (ORG).
_MISREAD = frozenset({"LOC", "GPE", "ORG", "MISC", "NORP", "WORK_OF_ART", "FAC"})
# Roles that make an official only with a state or a known body in the role phrase: a
# "leader", "head" or "director" of anything else (a party, a militia, a firm) is not.
WEAK_ROLES = frozenset({"leader", "head", "director"})
# Punctuation that closes a name's apposition ("X, a dit", "X (RDC)"); the lexicon's
# "name_closers" add the words that do ("X et Y", "X, who").
_AFTER_NAME_PUNCT = frozenset({",", "(", ":"})
# The lexicon's word lists read here (tests/enrich/test_lexicon_keys.py): "name_closers";
# "name_particles", lower-case words inside Arabic names ("Faisal bin Farhan", "Mohamed Ould
# Cheikh"); "plural_role_markers", words before a role that make it plural ("both", "tous
# deux"); "list_glue", the words joining names of a list ("et", "ainsi que", "as well as");
# "list_apposition_words", words of a plural apposition in a list ("tous deux"); and
# "list_genitives", the words between a listed name and its state ("X du Kazakhstan, Y of A").
LEXICON_KEYS = (
    "name_closers",
    "name_particles",
    "plural_role_markers",
    "list_glue",
    "list_apposition_words",
    "list_genitives",
)


@cache
def _role_words(lang: str) -> frozenset[str]:
    return frozenset(
        w for r in kbmod.load(lang).roles for w in r.form.lower().replace("-", " ").split()
    )


def _role_tokens(ctx: Ctx) -> set[int]:
    return {i for r in ctx.roles for i in range(r.start, r.end)}


def complement(ctx: Ctx, a: int, p: PersonFound) -> bool:
    """The role's complement, not its holder: "ambassadeur de Bélize", "président de la
    Confédération" (one word after 'de'/'of', an article allowed between, that the NER calls a
    person), "ministres ... à Kuala Lumpur", "résidant à l'Etranger" (a name right after a place
    preposition)."""
    prev = ctx.lower(p.start - 1)
    if prev in ctx.loc_preps or (prev in ctx.articles and ctx.lower(p.start - 2) in ctx.loc_preps):
        return True
    if p.end - p.start != 1:
        return False
    # "président de la Confédération, Alain Berset": the article between changes nothing.
    return (p.start - a == 1 and prev in ctx.gen_preps) or (
        p.start - a == 2 and prev in ctx.articles and ctx.lower(p.start - 2) in ctx.gen_preps
    )


def gap_ok(ctx: Ctx, a: int, b: int) -> bool:
    """Tokens ``a..b`` between a role and a name still leave that name the role's holder.

    No verb in the role's own complement; commas only where a portfolio goes on (", de la
    Coopération africaine et des Marocains résidant à l'étranger", ", Handicrafts, Air
    Transport") or before a short apposition right before the name (", le Sud-Coréen", ", M.",
    ", le socialiste").
    """
    doc = ctx.doc
    commas = [i for i in range(a, b) if doc[i].text == ","]
    if commas and any(
        doc[i].ent_type_ in PERSON_LABELS
        and doc[i].pos_ == "PROPN"
        and not _after_place_prep(ctx, i)
        # A state the NER calls a person is the posting: "L'ambassadeur de l'[Ethiopie], X".
        and i not in ctx.country_at
        for i in range(a, b)
    ):
        return False  # another name sits between: "le président X, son fils Y"
    starts = [a, *(c + 1 for c in commas)]
    ends = [*commas, b]
    for n, (s, e) in enumerate(zip(starts, ends, strict=True)):
        if n == 0:
            # A demonym the tagger calls a verb ("rwandaise") is no verb.
            if any(doc[i].pos_ in _VERBISH and i not in ctx.country_at for i in range(s, e)):
                return False
            continue
        last = n == len(commas)
        if last and _apposition(ctx, s, e):
            continue
        if not _portfolio_run(ctx, s, e):
            return False
    return True


def _after_place_prep(ctx: Ctx, i: int) -> bool:
    """'à l'Etranger', 'in Abroad': a word the NER calls a person right after a place preposition
    is a place in the portfolio, not another name."""
    prev = ctx.lower(i - 1)
    return prev in ctx.loc_preps or (prev in ctx.articles and ctx.lower(i - 2) in ctx.loc_preps)


def _apposition(ctx: Ctx, s: int, e: int) -> bool:
    """', le Sud-Coréen', ', M.', ', le socialiste', ', H.E.' — at most three words, none a verb
    or a name of its own."""
    doc = ctx.doc
    words = 0
    i = s
    while i < e:
        tok = doc[i]
        # A protocol honorific of several words is one: ", Son Excellence M.", ", le Dr".
        after = honorific_end(ctx, i)
        if after > i:
            i = after
            words += 1
            continue
        words += 1
        i += 1
        if (tok.pos_ == "DET" and tok.lower_ not in ctx.poss) or tok.i in ctx.country_at:
            continue
        if tok.text in ctx.honorifics or tok.lower_ in ctx.honorific_words:
            continue
        if tok.pos_ in {"ADJ", "NOUN"} and tok.is_alpha:
            continue
        return False
    return words <= 3


def _portfolio_run(ctx: Ctx, s: int, e: int) -> bool:
    """A portfolio continued after a comma: starts with 'de'/'of'/'and'..., or is title-case
    words only ('Handicrafts', 'Air Transport and Social Economy')."""
    doc = ctx.doc
    if s >= e:
        return False
    if ctx.lower(s) in ctx.portfolio_words:
        return True
    # Not a list of people by nationality ("Ministers of State, Argentine Governors and ...").
    return all(
        (doc[i].is_title and i not in ctx.country_at) or ctx.lower(i) in ctx.portfolio_words
        for i in range(s, e)
    )


def portfolio_comma(ctx: Ctx, k: int, limit: int) -> int:
    """After a portfolio ('Minister of Tourism'), ', Handicrafts, Air Transport and Social
    Economy' goes on with it: the index past the enumeration, or ``k`` when none follows. An
    enumeration ends in a run joined by 'and'/'et'; a run closed by a comma without one is an
    apposed name ('ministère des Affaires étrangères, Maratee Nalita Andamo, a déclaré')."""
    doc = ctx.doc
    j = k
    while j + 1 < limit and doc[j].text == "," and doc[j + 1].is_title:
        j += 1
        joined = False
        while j < limit and (doc[j].is_title or ctx.lower(j) in ctx.portfolio_words):
            if j in ctx.country_at or doc[j].ent_type_ in PERSON_LABELS:
                return k
            joined = joined or ctx.lower(j) in ctx.coord
            j += 1
        if joined:
            return j
        if j >= limit or doc[j].text != ",":
            return k
    return k


def misread_name(ctx: Ctx, k: int) -> bool:
    """A name after a role that the NER files under a place, a body or a work, unknown to the KB:
    "la sonate de l'Europe centrale Coulter", "le chef de la diplomatie rwandaise, Olivier
    Nduhungirehe, a précisé", "Kazakh President Kassym-Jomart Tokayev" (one ORG span), "le
    Sud-Coréen Ban Ki-moon" (one MISC span).

    An entity opening at ``k``: not after a preposition, an article or punctuation (a real place:
    "à Gombe") except a comma, and then only as the subject of the next verb or an apposition
    closed by a comma. An entity that opened earlier: only when the word before ``k`` ends a role
    or is a demonym (the entity swallowed the role phrase or the nationality and the name).
    """
    doc = ctx.doc
    tok = doc[k]
    if tok.ent_type_ not in _MISREAD:
        return False
    if tok.ent_iob_ == "I":
        # After a demonym when a proper noun follows ("le Sud-Coréen Ban Ki-moon"); not after a
        # state's name ("the Sri Lanka Navy") nor in a portfolio ("des Marocains Résidant").
        # An honorific after a state's name opens a name ("l'émir du Qatar Sheikh Tamim").
        state = k - 1 in ctx.country_at and (
            (span_kind(ctx.country_at[k - 1]) == "demonym" and tok.pos_ == "PROPN")
            or tok.text in ctx.honorifics
            or _genitive_state(ctx, k)
        )
        return (k in ctx.role_end or state) and not doc[k - 1].is_punct
    end = k + 1
    while end < len(doc) and doc[end].ent_iob_ == "I":
        end += 1
    particles = kbmod.lexicon_words(ctx.kb.lang, "name_particles")
    if end - k > 4 or not all(
        t.is_title or not t.is_alpha or t.lower_ in particles for t in doc[k:end]
    ):
        return False
    if any(i in ctx.country_at or ctx.lower(i) in ctx.non_name_words for i in range(k, end)):
        return False
    prev = ctx.lower(k - 1)
    if prev == ",":
        closers = kbmod.lexicon_words(ctx.kb.lang, "name_closers")
        after = ctx.lower(end)
        if end < len(doc) and (
            doc[end].pos_ in _VERBISH or after in _AFTER_NAME_PUNCT or after in closers
        ):
            return True
        # An apposition that ends the sentence, right after the role phrase: "avec son
        # homologue syrien, Faisal Al-Miqdad." Two words at least: the period after an
        # abbreviated title is no sentence end (", Amb. Bianca Odumegwu-Ojukwu").
        words = sum(1 for t in doc[k:end] if t.is_alpha)
        return (
            words >= 2
            and (end >= len(doc) or ctx.lower(end) in {".", ";"})
            and _role_phrase_before(ctx, k - 1)
        )
    if tok.ent_type_ not in {"LOC", "GPE"} and _role_phrase_before(ctx, k):
        # The role phrase runs on through a nationality and a portfolio or a ministry the NER
        # took into the name's entity: "le ministre estonien des Affaires étrangères Urmas
        # Reinsalu", "la porte-parole du ministère philippin des Affaires étrangères Teresita Daza".
        return True
    if tok.ent_type_ not in {"LOC", "GPE"}:
        # A body or a work ("president of Iraq's Olympic Committee") names a person only right
        # after the role or a state's name.
        return k in ctx.role_end or (k - 1 in ctx.country_at and _state_before(ctx, k - 1))
    return not (
        prev in ctx.loc_preps
        or prev in ctx.portfolio_words
        or prev in ctx.speech_preps
        or doc[k - 1].is_punct
    )


def _role_phrase_before(ctx: Ctx, k: int) -> bool:
    """The words right before ``k`` only continue a role: a nationality, grammar words of a
    portfolio, role and head words ("estonien des Affaires étrangères", "du ministère philippin
    des Affaires étrangères"), back to a role's end, within one sentence."""
    j = k
    while j > 0 and k - j < 8 and ctx.same_sent(j - 1, k):
        if j in ctx.role_end:
            return j < k
        low = ctx.lower(j - 1)
        if not (
            j - 1 in ctx.country_at
            or low in ctx.portfolio_words
            or low in ctx.non_name_words
            or low in ctx.articles
        ):
            return False
        j -= 1
    return j in ctx.role_end and j < k


def _genitive_state(ctx: Ctx, k: int) -> bool:
    """A role phrase ending in a state's name, then the holder's name in the same entity: "le
    secrétaire général du Parti communiste du Vietnam To Lam", "President of Iraq Barham Salih"
    (the caller only looks after a role)."""
    c = ctx.country_at[k - 1]
    before = ctx.lower(c.start - 1)
    genitive = before in ctx.gen_preps or (
        before in ctx.articles and ctx.lower(c.start - 2) in ctx.gen_preps
    )
    return (
        span_kind(c) == "name"
        and genitive
        and ctx.doc[k].is_title
        and ctx.lower(k) not in ctx.non_name_words
        # A name of two words at least: not "of Sri Lanka Navy officers".
        and k + 1 < len(ctx.doc)
        and ctx.doc[k + 1].is_title
    )


def _state_before(ctx: Ctx, i: int) -> bool:
    """The state word at ``i`` is capitalised ("Kazakh President X") or a nationality word right
    after a role ("du Premier ministre arménien Nikol Pachinian", the name filed as ORG)."""
    c = ctx.country_at[i]
    return ctx.doc[i].is_title or (span_kind(c) == "demonym" and c.start in ctx.role_end)


def name_end(ctx: Ctx, k: int) -> int:
    """The end of a name starting at ``k``: title-case proper nouns, and hyphenated parts written
    without spaces ("Ban Ki-moon", "Kassym-Jomart")."""
    doc = ctx.doc
    end = k + 1
    while end < len(doc):
        tok = doc[end]
        if tok.is_title and tok.pos_ == "PROPN":
            end += 1
        elif (
            tok.text == "-"
            and not doc[end - 1].whitespace_
            and not tok.whitespace_
            and end + 1 < len(doc)
            and doc[end + 1].is_alpha
        ):
            end += 2
        else:
            break
    return end


def excluded_holder(ctx: Ctx, role: Span, p: PersonFound, left: bool) -> bool:
    """'l'ancien président Abdou Diouf', 'former Vice President Jorge Glas', 'le chef de
    l'opposition, Juan Guaido': the role is not held for a state now."""
    lo = role.start - 2
    hi = p.start if left else role.end
    if not left:
        lo = p.end
    words = ctx.lower_words(lo, hi)
    return any(w in ctx.non_official or w in ctx.former for w in words)


def anchored(ctx: Ctx, role: Span, p: PersonFound, left: bool) -> bool:
    """A weak role ('leader', 'head', 'director', 'chef') names an official only with a state or
    a known body in its phrase: "the Solomon Islands leader", "head of Türkiye's National
    Intelligence Organisation"."""
    if ctx.kb.roles[int(span_code(role))].role not in WEAK_ROLES:
        return True
    lo = max(0, role.start - 3)
    hi = p.start if left else min(len(ctx.doc), role.end + 6)
    return any(
        (i in ctx.country_at or i in ctx.org_at) and ctx.same_sent(i, role.start)
        for i in range(lo, hi)
    )


def plural_role(ctx: Ctx, role: Span) -> bool:
    """'ministres', 'Foreign Ministers', 'conseillers politiques', or 'both'/'tous deux' before
    the role: one role for several names."""
    words = ctx.lower_words(role.start, role.end)
    # Not a grammar word of the role phrase ("des" is no plural of "de").
    if any(
        w.endswith("s") and w not in ctx.portfolio_words and w[:-1] in _role_words(ctx.kb.lang)
        for w in words
    ):
        return True
    markers = kbmod.lexicon_words(ctx.kb.lang, "plural_role_markers")
    return any(w in markers for w in ctx.lower_words(role.start - 2, role.start))


def _joined(ctx: Ctx, a: int, b: int) -> bool:
    """Only list glue between two names: commas, 'et'/'and'/'ainsi que', honorifics, a state in
    brackets ('(RDC) et'), a plural role in apposition (', tous deux conseillers politiques,')."""
    doc = ctx.doc
    if b - a > 10 or b <= a or not ctx.same_sent(a, b):
        return False
    glue = False
    roles = _role_tokens(ctx)
    glue_words = kbmod.lexicon_words(ctx.kb.lang, "list_glue")
    apposition = kbmod.lexicon_words(ctx.kb.lang, "list_apposition_words")
    genitives = kbmod.lexicon_words(ctx.kb.lang, "list_genitives")
    for i in range(a, b):
        tok = doc[i]
        low = tok.lower_
        if low == "," or low in glue_words or tok.text in {"(", ")"}:
            glue = glue or low not in {"(", ")"}
            continue
        if tok.text in ctx.honorifics or low in ctx.honorific_words or i in ctx.country_at:
            continue
        # Each name with its state: "X du Kazakhstan, Y d'Ouzbékistan et Z", "X of A and Y".
        if low in genitives and _state_next(ctx, i + 1, b, genitives):
            continue
        if i in roles or low in apposition:
            continue
        if tok.pos_ in {"ADJ", "DET"} and not tok.is_title:
            continue
        return False
    return glue


def _state_next(ctx: Ctx, i: int, b: int, genitives: frozenset[str]) -> bool:
    while i < b and ctx.lower(i) in genitives:
        i += 1
    return i < b and i in ctx.country_at


def spread_list_roles(ctx: Ctx, cands: list[PersonFound], plural: set[int]) -> None:
    """A plural role given to one name of a coordinated list holds for every name of it:
    "Hervé Fournier et Guillaume Reisacher, tous deux conseillers politiques, et Madame
    Gwenaielle Habouzit". ``plural`` holds the ids of the candidates whose role was plural."""
    order = sorted((p for p in cands if not p.title_only), key=lambda p: (p.start, p.end))
    chains: list[list[PersonFound]] = []
    for p in order:
        if chains and _joined(ctx, chains[-1][-1].end, p.start):
            chains[-1].append(p)
        else:
            chains.append([p])
    for chain in chains:
        src = next((p for p in chain if id(p) in plural), None)
        if src is None or len(chain) < 2:
            continue
        for p in chain:
            if not p.official:
                p.official = True
                p.role = src.role


def alias_keys(words: list[list[str]], keys: list[str]) -> list[str]:
    """Group keys for names that continue one longer name found in the same document.

    'Abiy' after 'Abiy Ahmed Ali' and 'Qin' after 'Qin Gang' (a given name, or a family name
    written first) take that name's key; so does 'Eriksen Søreide' beside 'Ine Eriksen' (one
    double surname the NER split in two). Only when exactly one longer name fits, and a one-word
    name that is already some name's surname keeps its own group.
    """
    out = list(keys)
    surnames = {w[-1] for w in words if w}
    for i, ws in enumerate(words):
        if not ws:
            continue
        if len(ws) == 1:
            if ws[0] in surnames and any(len(o) > 1 and o[-1] == ws[0] for o in words):
                continue
            fits = {keys[j] for j, o in enumerate(words) if len(o) > 1 and o[0] == ws[0]}
        else:
            # Two-word halves only: "Zayed bin Khalifa" is not the rest of "Mohammed bin Zayed".
            fits = {
                keys[j]
                for j, o in enumerate(words)
                if len(o) == 2 == len(ws) and o[-1] == ws[0] and keys[j] != keys[i]
            }
            # The opening words of a longer name: "Sheikh Zayed bin Khalifa" after "Sheikh Zayed
            # bin Khalifa bin Sultan Al Nahyan".
            fits |= {
                keys[j] for j, o in enumerate(words) if len(o) > len(ws) and o[: len(ws)] == ws
            }
        if len(fits) == 1:
            out[i] = fits.pop()
    return out


def display_name(ctx: Ctx, name: str) -> str:
    """'Admiral Prof. Jayanath Colombage', 'Foreign Minister Vijitha Herath', 'Mr. Kenneth Pedro':
    the person's name without leading honorifics and role words (one word is always kept)."""
    parts = name.split()
    while len(parts) > 1 and (
        parts[0] in ctx.honorifics
        or parts[0].lower().rstrip(".") in ctx.non_name_words
        or parts[0].lower() in ctx.non_name_words
    ):
        parts = parts[1:]
    return " ".join(parts)
