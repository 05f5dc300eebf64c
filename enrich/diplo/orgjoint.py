"""Joint bodies of two states: bilateral commissions, committees and councils by their names.

"the Kazakhstan-Russia Intergovernmental Commission", "the Egyptian-Sudanese Military
Committee", "the Turkey-Libya High Level Strategic Cooperation Council", "la Commission mixte de
coopération Sénégal-Mauritanie", "la Commission Mixte de Coopération entre Madagascar et les
Comores", "la Commission mixte paritaire": a capitalised head (lexicon ``joint_body_heads``)
whose name carries a joint word (``joint_words``: joint, intergovernmental, mixte, paritaire...)
or two states. The NER cuts these names or misses them; the labels give them whole. A lower-case
"a joint commission will be set up" names no body and is left out, as the labels do.
"""

import re

from diplowire.enrich.diplo.context import Ctx, OrgFound, span_code, span_kind
from diplowire.enrich.diplo.orgcontext import in_person_title
from diplowire.enrich.kb import norm

JOINT_KIND = "joint_body"
_DASHES = {"-", "–", "—"}
_MAX_LEFT = 8


def _is_state(ctx: Ctx, i: int) -> bool:
    c = ctx.country_at.get(i)
    return c is not None and span_kind(c) in {"name", "demonym"}


def _left_start(ctx: Ctx, h: int) -> int:
    """First token of the name ending at the head: capitalised words, states and dashes."""
    doc = ctx.doc
    s = h
    while s - 1 >= 0 and h - (s - 1) <= _MAX_LEFT and ctx.same_sent(s - 1, h):
        t = doc[s - 1]
        if t.lower_ in ctx.articles or t.pos_ == "DET" or t.lower_ in ctx.gen_preps:
            break
        if not (t.is_title or t.is_upper or _is_state(ctx, s - 1) or t.text in _DASHES):
            break
        s -= 1
    while s < h and doc[s].text in _DASHES:
        s += 1
    return s


def _right_end(ctx: Ctx, h: int, joint: frozenset[str], between: frozenset[str]) -> int:
    """End of the name after the head: joint adjectives, "de coopération", then the two states
    ("Sénégal-Mauritanie", "entre Madagascar et les Comores")."""
    doc = ctx.doc
    n = len(doc)
    e = h + 1
    while e < n:
        low = doc[e].lower_
        if low in joint:
            e += 1
        elif (
            low in ctx.gen_preps
            and e + 1 < n
            and doc[e + 1].is_alpha
            and doc[e + 1].lower_ not in ctx.articles
            and not _is_state(ctx, e + 1)
            and e > h + 1
            and all(doc[k].lower_ in joint for k in range(h + 1, e))
        ):
            # One field word after the head's own joint adjectives ("Commission mixte de
            # coopération"); an English head ends its name ("... Joint Commission of Senior
            # Officials" is a meeting of officials).
            e += 2
        else:
            break
    # The two states, glued by a dash or after "entre"/"between".
    k = e
    if k < n and doc[k].lower_ in between:
        k += 1
    states = 0
    while k < n:
        while k < n and doc[k].lower_ in ctx.articles:
            k += 1
        c = ctx.country_at.get(k)
        if c is None or c.start != k:
            break
        states += 1
        k = c.end
        if k < n and (doc[k].text in _DASHES or doc[k].lower_ in ctx.coord) and states < 2:
            k += 1
            continue
        break
    return k if states >= 2 else e


def joint_bodies(ctx: Ctx) -> list[OrgFound]:
    heads = ctx.kb.words("joint_body_heads")
    joint = ctx.kb.words("joint_words")
    between = ctx.kb.words("between_words")
    if not heads:
        return []
    doc = ctx.doc
    # (name without its states, the states) -> the body; "the Russia-Iran Joint Commission" and
    # "the Russia-Turkey Joint Commission" stay two.
    by_core: dict[tuple[str, frozenset[str]], OrgFound] = {}
    for tok in doc:
        h = tok.i
        if tok.lower_ not in heads or not tok.is_title or h in ctx.org_at:
            continue
        s, e = _left_start(ctx, h), _right_end(ctx, h, joint, between)
        words = set(re.split(r"[\s\-–—’']+", norm(doc[s:e].text)))
        codes = list(
            dict.fromkeys(span_code(ctx.country_at[i]) for i in range(s, e) if _is_state(ctx, i))
        )
        if not (words & joint or len(codes) >= 2):
            continue
        if in_person_title(ctx, s, e):
            continue
        name = doc[s:e].text
        code = codes[0] if codes else None
        # Named again with the states written otherwise or left out ("la Commission mixte de
        # coopération" after "... entre Madagascar et les Comores"), it is the same body.
        core = " ".join(
            doc[i].lower_
            for i in range(s, e)
            if not _is_state(ctx, i)
            and doc[i].text not in _DASHES
            and doc[i].lower_ not in ctx.articles
            and doc[i].lower_ not in between
            and doc[i].lower_ not in ctx.coord
        )
        states = frozenset(codes)
        same_key = next(
            (
                k
                for k in by_core
                if k[0] == core and (not states or not k[1] or states <= k[1] or k[1] <= states)
            ),
            None,
        )
        same = by_core.get(same_key) if same_key is not None else None
        if same is not None:
            same.mentions.append((s, e))
            if len(name) > len(same.name):
                same.name, same.country = name, code or same.country
                same.key = f"other:{same.country}:{norm(name)}"
            continue
        by_core[(core, states)] = OrgFound(
            key=f"other:{code}:{norm(name)}",
            name=name,
            type="other",
            country=code,
            city=None,
            kind=JOINT_KIND,
            host=None,
            mentions=[(s, e)],
        )
    return list(by_core.values())


def without_cut_names(orgs: list[OrgFound]) -> list[OrgFound]:
    """Drop the NER's agency made of a piece of a joint body's name (or the whole of it)."""
    joint = [m for o in orgs if o.kind == JOINT_KIND for m in o.mentions]
    if not joint:
        return orgs
    return [
        o
        for o in orgs
        if o.kind != "agency"
        or not any(s < je and js < e for s, e in o.mentions for js, je in joint)
    ]
