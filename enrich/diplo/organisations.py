"""Organisations: named in the KB, composed from a head and a country ("ministère des Affaires
étrangères de France"), or agencies; merged, and keyed for scoring (``org_key``)."""

from spacy.tokens import Span

from diplowire.enrich import kb as kbmod
from diplowire.enrich.diplo.context import Ctx, OrgFound, span_code, span_kind
from diplowire.enrich.diplo.orgcontext import (
    city_list_after,
    in_person_title,
    inside_document_name,
    inside_longer_name,
    is_dateline,
    parent_of_named_organ,
    portfolio_then_state,
)
from diplowire.enrich.diplo.orgjoint import joint_bodies
from diplowire.enrich.diplo.orglists import (
    other_state_foreign_ministry,
    senders_after,
    senders_before,
    shared_head_orgs,
)
from diplowire.enrich.diplo.orgorgans import organs_named_alone
from diplowire.enrich.diplo.orgrefs import (
    BARE_MINISTRY,
    bare_foreign_ministry,
    resolve_short_refs,
)
from diplowire.enrich.kb import KnowledgeBase, OrgEntry, norm
from diplowire.enrich.kb.entities import registry
from diplowire.wire.article import Organization


def _org_key_for(entry: OrgEntry) -> str:
    return f"id:{entry.id}"


def named_orgs(ctx: Ctx) -> list[OrgFound]:
    out = []
    for span in ctx.orgs:
        entry = ctx.kb.orgs_by_id[span_code(span)]
        if (
            in_person_title(ctx, span.start, span.end, before_role=entry.country is None)
            or inside_document_name(ctx, span.start, span.end)
            or is_dateline(ctx, span.start, span.end)
            or (entry.type == "international_org" and inside_longer_name(ctx, span.start))
        ):
            continue
        if entry.type == "international_org" and parent_of_named_organ(ctx, span.start):
            continue
        country = entry.country
        if country is None and entry.type != "international_org":
            country = adjacent_country(ctx, span.start, span.end)
        other = (
            other_state_foreign_ministry(ctx, span.start, entry.country)
            if entry.type == "foreign_ministry"
            else None
        )
        if other is not None:
            # "Pakistan's Foreign Office": that state's ministry under the words of another's.
            code = span_code(other)
            out.append(
                OrgFound(
                    key=f"mfa:{code}",
                    name=ctx.doc[other.start : span.end].text,
                    type="foreign_ministry",
                    country=code,
                    city=None,
                    kind="foreign_ministry",
                    host=None,
                    mentions=[(other.start, span.end)],
                )
            )
            continue
        out.append(
            OrgFound(
                key=_org_key_for(entry),
                name=entry.canonical,
                type=entry.type,
                country=country,
                city=None,
                kind=entry.type,
                host=None,
                mentions=[(span.start, span.end)],
                topics=entry.topics,
            )
        )
    return out


def agency_orgs(ctx: Ctx) -> list[OrgFound]:
    """NER organisations that name a state body: "National Welfare Fund", "agence nationale ..."."""
    heads = ctx.kb.words("agency_heads")
    markers = ctx.kb.words("state_markers")
    # State media ("Bahrain News Agency", "Agence nationale de presse") report the story; they
    # are not bodies acting in it.
    media = ctx.kb.words("media_words")
    out = []
    # "the Bi-National Commission of South Africa and Nigeria" is the two states' joint body
    # (orgjoint), not South Africa's agency.
    joint = {i for org in joint_bodies(ctx) for s, e in org.mentions for i in range(s, e)}
    for ent in ctx.ents:
        if ent.label_ != "ORG" or any(i in ctx.org_at for i in range(ent.start, ent.end)):
            continue
        if any(i in joint for i in range(ent.start, ent.end)):
            continue
        if any(h.start < ent.end and ent.start < h.end for h in ctx.heads):
            continue
        toks = [t for t in ent if not (t.lower_ in ctx.articles or t.pos_ == "DET")]
        while toks and toks[-1].pos_ == "PART":
            toks.pop()  # "The Turkish Communications Department's statement"
        if not toks or not any(t.lower_ in heads for t in toks):
            continue
        if any(t.lower_ in media for t in toks):
            continue
        country = adjacent_country(ctx, ent.start, ent.end)
        inner = [ctx.country_at[t.i] for t in toks if t.i in ctx.country_at]
        if inner:
            country = span_code(inner[0])
        if toks[0].lower_ not in markers and country is None:
            continue
        name = ctx.doc[toks[0].i : toks[-1].i + 1].text
        out.append(
            OrgFound(
                key=f"other:{country}:{norm(name)}",
                name=name,
                type="other",
                country=country,
                city=None,
                kind="agency",
                host=None,
                mentions=[(ent.start, ent.end)],
            )
        )
    return out


def adjacent_country(ctx: Ctx, start: int, end: int) -> str | None:
    before = start - 1
    if ctx.lower(before) in ctx.poss:
        before -= 1  # "Myanmar's Border Guard Police": the state owns the body
    for i in (before, end, end + 1):
        c = ctx.country_at.get(i)
        if c is not None and span_kind(c) in {"demonym", "name"}:
            return span_code(c)
    return None


def _country_list_after(ctx: Ctx, i: int) -> tuple[list[Span], int]:
    """'du Canada, des Pays-Bas et de Nouvelle-Zélande' → the country spans and where it ends."""
    doc = ctx.doc
    found: list[Span] = []
    j = i
    while j < len(doc):
        k = j
        if doc[k].lower_ in ctx.coord and found:
            k += 1
        if k < len(doc) and doc[k].lower_ in ctx.gen_preps:
            k += 1
        elif not found and ctx.gen_preps and k < len(doc) and doc[k].lower_ not in ctx.gen_preps:
            # Only lists introduced by a genitive ("of X", "de X").
            return found, j
        while k < len(doc) and doc[k].lower_ in ctx.articles:
            k += 1
        c = ctx.country_at.get(k)
        if c is None or span_kind(c) not in {"name", "capital"} or c.start != k:
            break
        found.append(c)
        j = c.end
    return found, j


def _place_after(ctx: Ctx, i: int) -> tuple[str | None, str | None, int]:
    """'à Washington' / 'in the Russian Federation' / 'au Liban' → (city, host code, end)."""
    doc = ctx.doc
    if ctx.lower(i) not in ctx.loc_preps:
        return None, None, i
    k = i + 1
    while k < len(doc) and doc[k].lower_ in ctx.articles:
        k += 1
    c = ctx.country_at.get(k)
    if c is not None and c.start == k:
        if span_kind(c) == "capital":
            return c.text, span_code(c), c.end
        if span_kind(c) == "name":
            return None, span_code(c), c.end
    if k in ctx.org_at:
        return None, None, i  # "à l'ONU": posted to an organisation, not a place
    end = k
    while end < len(doc) and doc[end].is_title and doc[end].pos_ in {"PROPN", "NOUN", "ADJ"}:
        end += 1
        if end - k >= 3:
            break
    if end > k:
        return doc[k:end].text, None, end
    return None, None, i


def composed_orgs(ctx: Ctx) -> list[OrgFound]:
    doc = ctx.doc
    kb = ctx.kb
    out: list[OrgFound] = []
    possessive = kb.words("possessive_pronouns")
    last_mission_head: tuple[int, str] | None = None
    for h in ctx.heads:
        head = kb.org_heads[int(span_code(h))]
        kind, typ = head.kind, head.type
        senders: list[Span] = []
        start, end = h.start, h.end
        # Sender before the head: "Russian Embassy", "U.S. Embassy", "Russia's embassy".
        b = h.start - 1
        if ctx.lower(b) in ctx.poss:
            b -= 1
        if b >= 0 and b in ctx.country_at and span_kind(ctx.country_at[b]) in {"name", "demonym"}:
            c = ctx.country_at[b]
            # "the British, French and German embassies": every state of the list sends one.
            senders = senders_before(ctx, b) if head.plural and b == h.start - 1 else []
            senders = senders or [c]
            start = c.start
        # Sender right after the head: "consulat russe", "ambassades française et allemande".
        if not senders and end in ctx.country_at and span_kind(ctx.country_at[end]) == "demonym":
            listed_after, after_end = senders_after(ctx, end)
            senders = listed_after if head.plural and len(listed_after) > 1 else []
            c = ctx.country_at[end]
            senders = senders or [c]
            end = after_end if len(senders) > 1 else c.end
        if kind == "ministry" and senders:
            rest = " ".join(t.lower_ for t in doc[end : end + 4])
            for other in kb.org_heads:
                tail = norm(other.form).split(" ", 1)
                if (
                    other.kind == "foreign_ministry"
                    and len(tail) == 2
                    and norm(rest).startswith(tail[1])
                ):
                    kind, typ = "foreign_ministry", "foreign_ministry"
                    end += len(tail[1].split(" "))
                    break
        if not senders and ctx.lower(h.start - 1) in possessive:
            # "its embassy in Kabul", "son ambassade au Niger": the state named last before.
            prior = _subject_state_before(ctx, h.start - 1)
            # "Iran and Saudi Arabia agreed to reopen their embassies": several states own the
            # missions, and the pronoun picks none of them out.
            if prior is not None and not (head.plural and _coordinated_state(ctx, prior)):
                senders.append(prior)
        if not senders:
            listed, list_end = _country_list_after(ctx, end)
            if listed:
                senders = listed if head.plural else listed[:1]
                end = list_end if head.plural else senders[0].end
        if kind == "foreign_ministry" and not senders:
            # "The Ministry of Foreign Affairs summoned ...": the state is resolved per document.
            named = any(i in ctx.org_at for i in range(h.start, h.end))
            bare = (
                None
                if named or in_person_title(ctx, h.start, h.end)
                # "the Ministry of Foreign Affairs in Moscow": the state of the place after it.
                else bare_foreign_ministry(ctx, h, head, _place_after(ctx, h.end)[1])
            )
            if bare is not None:
                out.append(bare)
            continue
        if not senders and head.plural is False and typ == "diplomatic_mission":
            continue
        if head.plural and not senders:
            continue
        beside_state = bool(senders)
        if kind == "ministry" and not senders:
            # "Ministry of Finance of Nepal": the state after the portfolio.
            state, state_end = portfolio_then_state(ctx, end)
            if state is None:
                continue
            senders, end = [state], state_end
        # Named portfolio for other ministries: "Ministry of Finance", "ministère de la Défense".
        portfolio_from = end
        if kind == "ministry" and ctx.lower(end) in ctx.gen_preps:
            k = end + 1
            while k < len(doc) and doc[k].lower_ in ctx.articles:
                k += 1
            if k < len(doc) and doc[k].is_title and k not in ctx.country_at:
                end = k + 1
        city, host, place_end = _place_after(ctx, end)
        cities: list[str | None] = [city]
        prep = ""
        if typ == "diplomatic_mission" and head.plural and len(senders) == 1:
            # "the Russian Consulates General in Klaipeda, Liepaja and Narva": one per city.
            listed_cities, list_end = city_list_after(ctx, end)
            if listed_cities:
                cities, place_end, prep = list(listed_cities), list_end, doc[end].text
        # "an Iraqi ministry statement": a state's ministry with no portfolio (orgrefs).
        short_ref = kind == "ministry" and beside_state and end == portfolio_from
        if typ == "diplomatic_mission":
            end = max(end, place_end)
            last_mission_head = (h.start, kind)
        if in_person_title(ctx, min(start, h.start), end):
            continue  # "spokesperson for the Russian Ministry of Foreign Affairs Maria Zakharova"
        for s, city in ((s, c) for s in senders for c in cities):
            code = span_code(s)
            if code == host:
                host = None
            span_start = min(start, h.start)
            name = _strip_article(ctx, doc[span_start:end]) if len(senders) == 1 else None
            if name is None or len(cities) > 1:
                name = f"{h.text} {s.text}" if s.start > h.start else f"{s.text} {h.text}"
                if len(cities) > 1:
                    name = f"{name} {prep} {city}"
            out.append(
                OrgFound(
                    key=(BARE_MINISTRY if short_ref else "")
                    + _mission_key(typ, kind, code, city, name),
                    name=name,
                    type=typ,
                    country=code,
                    city=city if typ == "diplomatic_mission" else None,
                    kind=kind,
                    host=host,
                    mentions=[(span_start, end)],
                )
            )
    out.extend(shared_head_orgs(ctx, _mission_key))
    out.extend(organs_named_alone(ctx))
    out.extend(joint_bodies(ctx))
    # "partagé par celles de la Norvège et de la Finlande": pronoun standing for missions.
    if last_mission_head is not None:
        for i, tok in enumerate(doc):
            if tok.lower_ in ctx.pronouns and tok.lower_:
                listed, _ = _country_list_after(ctx, i + 1)
                mission_before = any(
                    h.start < i and ctx.same_sent(h.start, i)
                    for h in ctx.heads
                    if kb.org_heads[int(span_code(h))].type == "diplomatic_mission"
                )
                if not mission_before:
                    continue
                for s in listed:
                    code = span_code(s)
                    head_word = next(
                        h.text.rstrip("s")
                        for h in ctx.heads
                        if h.start < i
                        and kb.org_heads[int(span_code(h))].type == "diplomatic_mission"
                    )
                    out.append(
                        OrgFound(
                            key=_mission_key("diplomatic_mission", "embassy", code, None, ""),
                            name=f"{head_word} {ctx.doc[s.start - 1].text} {s.text}".strip(),
                            type="diplomatic_mission",
                            country=code,
                            city=None,
                            kind="embassy",
                            host=None,
                            mentions=[(s.start, s.end)],
                        )
                    )
    return out


def _subject_state_before(ctx: Ctx, i: int) -> Span | None:
    """The state "its"/"son" stands for: the first one named, not as a place ("in X", "à Y"),
    in this sentence ("Iran summoned the envoys of France and the UK..., its foreign ministry
    said"), else in the previous one."""
    sent = ctx.sent[i]
    for wanted in (sent, sent - 1):
        for k in range(i):
            if ctx.sent[k] != wanted:
                continue
            c = ctx.country_at.get(k)
            if c is None or c.start != k or span_kind(c) not in {"name", "demonym"}:
                continue
            prev = ctx.lower(k - 1)
            if prev in ctx.loc_preps or (
                prev in ctx.articles and ctx.lower(k - 2) in ctx.loc_preps
            ):
                continue
            return c
    return None


def _coordinated_state(ctx: Ctx, c: Span) -> bool:
    """The state is one of a coordinated pair ("Iran and Saudi Arabia", "les USA et Cuba")."""
    k = c.end + 1 if ctx.lower(c.end) in ctx.coord else -1
    while 0 < k < len(ctx.doc) and ctx.doc[k].lower_ in ctx.articles:
        k += 1
    after = ctx.country_at.get(k)
    if after is not None and after.start == k and span_kind(after) in {"name", "demonym"}:
        return True
    before = ctx.country_at.get(c.start - 2)
    return ctx.lower(c.start - 1) in ctx.coord and before is not None


def _strip_article(ctx: Ctx, span: Span) -> str:
    toks = list(span)
    while toks and (toks[0].lower_ in ctx.articles or toks[0].pos_ == "DET"):
        toks = toks[1:]
    if not toks:
        return span.text
    return ctx.doc[toks[0].i : toks[-1].i + 1].text


def _mission_key(typ: str, kind: str, code: str, city: str | None, name: str) -> str:
    if typ == "diplomatic_mission":
        if kind == "consulate" and city:
            return f"mission:{code}:consulate:{norm(city)}"
        return f"mission:{code}:{kind}"
    if typ == "foreign_ministry":
        return f"mfa:{code}"
    return f"other:{code}:{norm(name)}"


def merge_orgs(orgs: list[OrgFound]) -> list[OrgFound]:
    merged: dict[str, OrgFound] = {}
    for org in resolve_short_refs(orgs):
        key = org.key
        if org.type == "diplomatic_mission" and org.kind == "consulate" and not org.city:
            # A consulate named again without its city is the one already named with it.
            same = [k for k, o in merged.items() if o.country == org.country and o.kind == org.kind]
            if len(same) == 1:
                key = same[0]
        if org.type == "foreign_ministry" and org.country:
            key = f"mfa:{org.country}"
        if key in merged:
            cur = merged[key]
            cur.mentions.extend(org.mentions)
            if len(org.name) > len(cur.name) and org.type != "international_org":
                cur.name = org.name
            cur.city = cur.city or org.city
            cur.host = cur.host or org.host
        else:
            org.key = key
            merged[key] = org
    return list(merged.values())


def org_key(org: Organization, lang: str) -> str:
    """Canonical identity of an organisation, for deduplication and lenient evaluation."""
    kb = kbmod.load(lang)
    oid = kb.org_alias_index.get(norm(org.name))
    if org.type == "foreign_ministry" and org.country:
        # A state's foreign ministry is one body however it is named: its KB id when the KB
        # lists it ("the US foreign ministry" = "State Department" = id:US_DOS).
        oid = registry().ministry_ids.get(org.country, oid)
        if oid is None:
            return f"mfa:{org.country}"
    if oid is not None:
        return f"id:{oid}"
    if org.type == "diplomatic_mission" and org.country:
        kind = _mission_kind_of_name(kb, org.name)
        return _mission_key(org.type, kind, org.country, org.city, org.name)
    return f"other:{org.country}:{norm(org.name)}"


def _mission_kind_of_name(kb: KnowledgeBase, name: str) -> str:
    low = norm(name)
    best = ("", "embassy")
    for head in kb.org_heads:
        form = norm(head.form)
        if head.type == "diplomatic_mission" and form in low and len(form) > len(best[0]):
            best = (form, head.kind)
    return best[1]
