"""Bilateral joint bodies: commissions, councils and committees two states hold together ("the
Turkey-Azerbaijan High-Level Strategic Cooperation Council", "the 9th Bi-National Commission",
"la grande commission mixte de coopération", "la Commission mixte de coopération entre
Madagascar et l'Union des Comores"). LABELLING.md P9 labels them as bodies (12 of 14 notes);
the KB cannot list them (every pair of states has its own), so they are found by shape: a pair
of states joined by a hyphen before the body's head, or a joint word beside it ("Joint",
"Bi-National", "Intergovernmental"; "mixte", "intergouvernementale", a compound demonym such
as "sénégalo-gambien"). The body belongs to no one state: it has no country, so it makes no
state act and gives the story no topic of its own."""

import re
from functools import cache

from spacy.tokens import Token

from diplowire.enrich import kb as kbmod
from diplowire.enrich.diplo.context import Ctx, OrgFound, span_code
from diplowire.enrich.diplo.orgcontext import in_person_title
from diplowire.enrich.kb import norm

# The lexicon's word lists read here (tests/enrich/test_lexicon_keys.py). "joint_heads": head
# nouns of joint bodies ("commission", "council"). Where the joint word stands picks the rule's
# shape: "joint_words_before_head" (en: in the run of capitalised words before the head, "Joint
# High Commission", "Bi-National Commission"; matched on the run's normalised text, so
# hyphenated words need no token rule) or "joint_words_after_head" (fr: "commission mixte",
# "comité intergouvernemental"). The after-head shape also reads "joint_name_openers", words
# before the head that belong to the name ("la grande commission mixte"), "joint_field_preps"
# and "joint_field_nouns" ("de coopération"), "joint_between" and "joint_and" ("entre X et Y").
LEXICON_KEYS = (
    "joint_heads",
    "joint_words_before_head",
    "joint_words_after_head",
    "joint_name_openers",
    "joint_field_preps",
    "joint_field_nouns",
    "joint_between",
    "joint_and",
)
# "franco-algérienne", "sénégalo-gambien", "sino-africain": two peoples joined in one adjective.
_COMPOUND_DEMONYM = re.compile(r"^[a-zà-ÿ]+o-[a-zà-ÿ]+$")
_DASHES = frozenset({"-", "–", "‑"})
_MAX_RUN = 8


def joint_bodies(ctx: Ctx) -> list[OrgFound]:
    """One organisation per head word ("commission", "council"): a story names its joint body
    in several ways ("the Moroccan-Mauritanian High Joint Commission" ... "the High Level Joint
    Commission"), and rarely two different ones under the same head."""
    lang = ctx.kb.lang
    after = kbmod.lexicon_words(lang, "joint_words_after_head")
    before = kbmod.lexicon_words(lang, "joint_words_before_head")
    found = _after_head(ctx, after) if after else _before_head(ctx, before) if before else []
    by_head: dict[str, OrgFound] = {}
    for start, end, head in found:
        if any(i in ctx.org_at for i in range(start, end)):
            continue
        if in_person_title(ctx, start, end):
            continue  # "co-chair of the Joint Commission Ali X": P9, not outside the title
        name = ctx.doc[start:end].text
        org = by_head.get(head)
        if org is None:
            by_head[head] = OrgFound(
                key=f"other:None:{norm(name)}",
                name=name,
                type="other",
                country=None,
                city=None,
                kind="joint_body",
                host=None,
                mentions=[(start, end)],
            )
            continue
        if (start, end) not in org.mentions:
            org.mentions.append((start, end))
        if len(name) > len(org.name):
            org.name, org.key = name, f"other:None:{norm(name)}"
    return list(by_head.values())


def _is_dash(tok: Token) -> bool:
    return tok.text in _DASHES


def _pair_end(ctx: Ctx, k: int) -> int | None:
    """End of a "Turkey-Azerbaijan" / "Moroccan-Mauritanian" pair of two states starting at
    ``k``, or None."""
    first = ctx.country_at.get(k)
    if first is None or first.start != k or first.end >= len(ctx.doc):
        return None
    if not _is_dash(ctx.doc[first.end]):
        return None
    second = ctx.country_at.get(first.end + 1)
    if second is None or second.start != first.end + 1 or span_code(second) == span_code(first):
        return None
    return second.end


def _state_pair_at(ctx: Ctx, i: int, stop: int) -> int | None:
    """Start of a pair of states found in ``i:stop``."""
    for k in range(i, stop):
        end = _pair_end(ctx, k)
        if end is not None and end <= stop:
            return k
    return None


@cache
def _joint_pattern(words: frozenset[str]) -> re.Pattern[str]:
    """Any of ``words`` as whole words of a normalised text (longest first)."""
    alts = "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))
    return re.compile(rf"\b(?:{alts})\b")


def _before_head(ctx: Ctx, joint_words: frozenset[str]) -> list[tuple[int, int, str]]:
    doc = ctx.doc
    heads = kbmod.lexicon_words(ctx.kb.lang, "joint_heads")
    pattern = _joint_pattern(joint_words)
    out = []
    for h, low in enumerate(ctx.lowers):  # the lower forms read once: no Token for most words
        if low not in heads:
            continue
        tok = doc[h]
        if not tok.is_title:
            continue
        # The run of capitalised words and hyphens before the head: the body's own name.
        s = h
        while s > 0 and h - s < _MAX_RUN:
            prev = doc[s - 1]
            if not (prev.is_title or prev.is_upper or _is_dash(prev)):
                break
            s -= 1
            if prev.is_sent_start:
                break
        while s < h and (doc[s].lower_ in ctx.articles or doc[s].pos_ == "DET" or _is_dash(doc[s])):
            s += 1
        if s == h:
            continue
        pair = _state_pair_at(ctx, s, h)
        if pair is not None:
            out.append((pair, h + 1, tok.lower_))
        elif pattern.search(norm(doc[s:h].text)):
            out.append((s, h + 1, tok.lower_))
    return out


def _after_head(ctx: Ctx, joint_words: frozenset[str]) -> list[tuple[int, int, str]]:
    doc = ctx.doc
    lang = ctx.kb.lang
    heads = kbmod.lexicon_words(lang, "joint_heads")
    openers = kbmod.lexicon_words(lang, "joint_name_openers")
    field_preps = kbmod.lexicon_words(lang, "joint_field_preps")
    field_nouns = kbmod.lexicon_words(lang, "joint_field_nouns")
    out = []
    n = len(doc)
    for h, head_low in enumerate(ctx.lowers):  # the lower forms read once
        if head_low not in heads:
            continue
        tok = doc[h]
        # The joint word or compound demonym among the (at most two) adjectives after the head.
        e = h + 1
        joint = False
        while e < n and e - h <= 4:
            low = doc[e].lower_
            if low in joint_words or _COMPOUND_DEMONYM.match(low):
                joint, e = True, e + 1
            elif (
                low.endswith("o") and e + 2 < n and _is_dash(doc[e + 1]) and e + 2 in ctx.country_at
            ):
                # "sénégalo - gambien": the tokenizer split the compound demonym.
                joint, e = True, ctx.country_at[e + 2].end
            elif doc[e].pos_ == "ADJ" and not doc[e].is_title:
                e += 1
            else:
                break
        if not joint:
            continue
        s = h - 1 if h > 0 and doc[h - 1].lower_ in openers else h
        # "de coopération (économique)": the body's field belongs to its name.
        if e + 1 < n and doc[e].lower_ in field_preps and doc[e + 1].lower_ in field_nouns:
            e += 2
            while e < n and doc[e].pos_ == "ADJ" and not doc[e].is_title and e - h < _MAX_RUN:
                e += 1
        # "Commission mixte de coopération Sénégal-Mauritanie": the pair names the body.
        e = _pair_end(ctx, e) or e
        out.append((s, _between_states(ctx, e), tok.lower_))
    return out


def _between_states(ctx: Ctx, e: int) -> int:
    """End of "entre la République de Madagascar et l'Union des Comores" after a French body's
    name, when both sides are states; ``e`` itself otherwise ("entre les deux pays")."""
    doc = ctx.doc
    lang = ctx.kb.lang
    if e >= len(doc) or doc[e].lower_ not in kbmod.lexicon_words(lang, "joint_between"):
        return e
    k = e + 1
    while k < len(doc) and k - e <= 4 and k not in ctx.country_at:
        k += 1
    first = ctx.country_at.get(k)
    if first is None:
        return e
    k = first.end
    if k >= len(doc) or doc[k].lower_ not in kbmod.lexicon_words(lang, "joint_and"):
        return e
    k += 1
    while k < len(doc) and k - first.end <= 5 and k not in ctx.country_at:
        k += 1
    second = ctx.country_at.get(k)
    return second.end if second is not None else e
