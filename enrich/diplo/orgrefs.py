"""Short references to a foreign ministry: the ministry named without its state.

News names the home state's foreign ministry with no state beside it ("The Ministry of Foreign
Affairs summoned the Myanmar ambassador", "le ministère des Affaires étrangères a convoqué le
chargé d'affaires"), or shortens a ministry named in full before ("Iraq's Foreign Ministry ...
an Iraqi ministry statement"). Those mentions belong to the one foreign ministry the document
names with its state; with none named (or several), the mention is left out rather than
given a guessed state (the summoned envoy's state is usually the one named beside it).
"""

from spacy.tokens import Span

from diplowire.enrich.diplo.context import Ctx, OrgFound
from diplowire.enrich.kb import OrgHead

# Keys of the references resolved here, before ``merge_orgs`` gives them their final key.
BARE_MFA = "mfa:"
BARE_MINISTRY = "ministry-ref:"


def bare_foreign_ministry(
    ctx: Ctx, h: Span, head: OrgHead, place_state: str | None
) -> OrgFound | None:
    """A foreign-ministry head named with no state before or after it; ``place_state`` is the
    state of a place right after it ("in Moscow"), which names its state. Only heads of several
    words: a one-word head ("diplomatie", "MFA") alone is too often a field or a title's word."""
    if head.plural or len(head.form.split()) < 2:
        return None
    toks = [t for t in h if not (t.lower_ in ctx.articles or t.pos_ == "DET")]
    name = ctx.doc[toks[0].i : toks[-1].i + 1].text if toks else h.text
    return OrgFound(
        key=f"mfa:{place_state}" if place_state else BARE_MFA,
        name=name,
        type="foreign_ministry",
        country=place_state,
        city=None,
        kind="foreign_ministry",
        host=None,
        mentions=[(h.start, h.end)],
    )


def resolve_short_refs(orgs: list[OrgFound]) -> list[OrgFound]:
    """Fold the state-less foreign ministry into the one foreign ministry named with a state
    (dropped when there is none or several), and a state's bare "ministry" (no portfolio) into
    that state's foreign ministry when the document names it; their mentions join it and its
    name stays the fuller one. A bare "ministry" of a state whose foreign ministry is not named
    stays the organisation it was."""
    full: dict[str, OrgFound] = {}
    for o in orgs:
        if o.type == "foreign_ministry" and o.country and o.key != BARE_MFA:
            full.setdefault(o.country, o)
    out = []
    for o in orgs:
        if o.key == BARE_MFA:
            # With no state or several, it is left out: the older sets label no state-less
            # ministry, and output one cost them more than wave7-dev gained (eval/README).
            if len(full) == 1:
                next(iter(full.values())).mentions.extend(o.mentions)
            continue
        if o.key.startswith(BARE_MINISTRY):
            if o.country in full:
                full[o.country].mentions.extend(o.mentions)
                continue
            o.key = o.key[len(BARE_MINISTRY) :]
        out.append(o)
    return out
