"""Organisations named together (issue 12 part 3): several states before or after one plural
mission head ("the British, French and German embassies", "les ambassades française et
allemande"), several names sharing one plural head noun ("the Treasury and State Departments",
"Russia's Defence and Foreign Ministries", "les ministères russes des Affaires étrangères et de la
Défense"); and a state's own name for its foreign ministry that another state's KB entry carries
("Pakistan's Foreign Office" is Pakistan's, not the British one)."""

from collections.abc import Callable

from spacy.tokens import Span

from diplowire.enrich.diplo.context import Ctx, OrgFound, span_code, span_kind
from diplowire.enrich.kb import OrgHead, norm

_SENDER_KINDS = frozenset({"name", "demonym"})
# A list item of a shared head noun is a short name ("Treasury", "Foreign", "Homeland
# Security"); longer capitalised runs are headlines or other names.
ITEM_MAX = 3


def _country(ctx: Ctx, i: int, kinds: frozenset[str] = _SENDER_KINDS) -> Span | None:
    c = ctx.country_at.get(i)
    return c if c is not None and span_kind(c) in kinds else None


def _skip_back_separator(ctx: Ctx, k: int) -> int | None:
    """Index of the token before a list separator ending at ``k`` (",", "and", ", and"), or
    None when ``k`` is no separator."""
    if ctx.lower(k) not in ctx.coord:
        return None
    k -= 1
    if k >= 0 and ctx.lower(k) == ",":
        k -= 1
    while k >= 0 and ctx.lower(k) in ctx.articles:
        k -= 1
    return k


def senders_before(ctx: Ctx, b: int) -> list[Span]:
    """States coordinated and ending at token ``b`` ("British, French and German", "the US and
    British"), in text order; [] when no state ends there."""
    found: list[Span] = []
    k = b
    while k >= 0:
        c = _country(ctx, k)
        if c is None or c.end != k + 1:
            break
        found.append(c)
        prev = _skip_back_separator(ctx, c.start - 1)
        if prev is None:
            break
        k = prev
    return found[::-1]


def senders_after(ctx: Ctx, i: int) -> tuple[list[Span], int]:
    """Demonyms coordinated from token ``i`` ("française et allemande", "américaine, britannique
    et française") and where they end; ([], i) when none starts there."""
    found: list[Span] = []
    k = i
    while k < len(ctx.doc):
        c = ctx.country_at.get(k)
        if c is None or c.start != k or span_kind(c) != "demonym":
            break
        found.append(c)
        k = c.end
        if ctx.lower(k) not in ctx.coord or _country(ctx, k + 1) is None:
            if ctx.lower(k) == "," and ctx.lower(k + 1) in ctx.coord:
                k += 2
                continue
            break
        k += 1
    end = found[-1].end if found else i
    return found, end


def other_state_foreign_ministry(ctx: Ctx, start: int, own: str | None) -> Span | None:
    """The state right before a KB foreign ministry named by its words ("Foreign Office",
    "Ministry of Foreign Affairs") when it is not the entry's state: "Pakistan's Foreign Office",
    "the German Foreign Office" name that state's ministry."""
    b = start - 1
    if ctx.lower(b) in ctx.poss:
        b -= 1
    c = _country(ctx, b)
    if c is None or c.end != b + 1:
        return None
    return c if span_code(c) != own else None


def _plural_nouns(ctx: Ctx) -> dict[str, str]:
    """Lexicon ``plural_org_nouns``: "plural=singular" of head nouns several names share."""
    pairs = (w.split("=", 1) for w in ctx.kb.words("plural_org_nouns") if "=" in w)
    return {plural: singular for plural, singular in pairs}


def _items_before(ctx: Ctx, i: int) -> tuple[list[tuple[int, int]], int]:
    """Capitalised items coordinated before token ``i`` ("Treasury and State", "Defence,
    Interior and Foreign"): their (start, end) in text order and where the list starts."""
    doc = ctx.doc
    items: list[tuple[int, int]] = []
    k = i - 1
    while k >= 0:
        end = k + 1
        while k >= 0 and end - k <= ITEM_MAX and doc[k].is_title and doc[k].pos_ != "DET":
            # A KB name may end in the item ("U.S. Treasury" and State Departments).
            if k in ctx.country_at or ctx.lower(k) in ctx.coord:
                break
            k -= 1
        if k + 1 == end:
            break
        items.append((k + 1, end))
        prev = _skip_back_separator(ctx, k)
        if prev is None:
            break
        k = prev
    items.reverse()
    return items, (items[0][0] if items else i)


def _items_after(ctx: Ctx, i: int) -> tuple[list[tuple[int, int]], int]:
    """Portfolios coordinated after a plural French head ("des Affaires étrangères et de la
    Défense"): each a genitive, articles, then words up to the next separator."""
    doc = ctx.doc
    items: list[tuple[int, int]] = []
    k = i
    while k < len(doc) and ctx.lower(k) in ctx.gen_preps:
        start = k
        k += 1
        while k < len(doc) and ctx.lower(k) in ctx.articles:
            k += 1
        if k >= len(doc) or not doc[k].is_title or k in ctx.country_at:
            break
        k += 1
        while k < len(doc) and doc[k].is_lower and doc[k].is_alpha and k - start <= ITEM_MAX + 1:
            if ctx.lower(k) in ctx.coord or ctx.lower(k) in ctx.gen_preps:
                break
            k += 1
        items.append((start, k))
        if ctx.lower(k) not in ctx.coord and ctx.lower(k) != ",":
            break
        k += 1
        if ctx.lower(k) in ctx.coord:
            k += 1
    return items, (items[-1][1] if items else i)


def _head_of(ctx: Ctx, form: str) -> OrgHead | None:
    wanted = norm(form)
    return next((h for h in ctx.kb.org_heads if norm(h.form) == wanted and not h.plural), None)


# (kind of organisation, kind of head, state, city, name) -> the organisation's key
KeyOf = Callable[[str, str, str, str | None, str], str]


def shared_head_orgs(ctx: Ctx, key_of: KeyOf) -> list[OrgFound]:
    """Names sharing one plural head noun, each read as "<item> <head>" (English) or
    "<head> <item>" (French): a KB name ("Treasury Department") is that organisation; a head form
    ("Foreign Ministry", "ministère des Affaires étrangères") is the adjacent state's."""
    doc = ctx.doc
    plurals = _plural_nouns(ctx)
    out: list[OrgFound] = []
    for i, low in enumerate(ctx.lowers):  # the lower forms read once: no Token for most words
        singular = plurals.get(low)
        if singular is None:
            continue
        tok = doc[i]
        prev = doc[i - 1] if i > 0 else None
        before = prev is not None and prev.is_title and prev.pos_ != "DET"
        before = before and ctx.lower(i - 1) not in ctx.articles
        after = ctx.lower(i + 1) in ctx.gen_preps
        sender: Span | None = None
        list_start = i
        if before:
            items, list_start = _items_before(ctx, i)
            b = list_start - 1
            if ctx.lower(b) in ctx.poss:
                b -= 1
            sender = _country(ctx, b)
            # "Ministries" -> "Ministry": the singular written as the plural is (for the name).
            singular = singular.title() if tok.is_title else singular
            forms = [(f"{doc[s:e].text} {singular}", s, i + 1) for s, e in items]
        elif after or _country(ctx, i + 1) is not None:
            demonyms, k = senders_after(ctx, i + 1)
            sender = demonyms[0] if len(demonyms) == 1 else None
            items, _ = _items_after(ctx, k)
            forms = [(f"{singular} {doc[s:e].text}", i, e) for s, e in items]
        else:
            continue
        if len(forms) < 2:
            continue
        for form, s, e in forms:
            oid = ctx.kb.org_alias_index.get(norm(form))
            if oid is not None:
                entry = ctx.kb.orgs_by_id[oid]
                out.append(
                    OrgFound(
                        key=f"id:{entry.id}",
                        name=entry.canonical,
                        type=entry.type,
                        country=entry.country,
                        city=None,
                        kind=entry.type,
                        host=None,
                        mentions=[(s, e)],
                        topics=entry.topics,
                    )
                )
                continue
            head = _head_of(ctx, form)
            if head is None or sender is None or head.type == "diplomatic_mission":
                continue
            code = span_code(sender)
            owner = ctx.doc[sender.start : list_start].text.strip() if before else sender.text
            name = (
                f"{owner} {form}"
                if before
                else form.replace(singular, f"{singular} {sender.text}", 1)
            )
            out.append(
                OrgFound(
                    key=key_of(head.type, head.kind, code, None, name),
                    name=name,
                    type=head.type,
                    country=code,
                    city=None,
                    kind=head.kind,
                    host=None,
                    mentions=[(s, e)],
                )
            )
    return out
