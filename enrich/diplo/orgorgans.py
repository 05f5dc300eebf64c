"""An organ of an international body named by its organ word alone ("the Commission", "la
Commission") in a story that names the body: that body's organ (issue 12 part 3). Only the
organ is added; the body counts only where it is named itself."""

from diplowire.enrich.diplo.context import Ctx, OrgFound, span_code

# Body id -> the id of its organ that the lexicon's ``organ_words`` name ("commission"). The ids
# are the KB's (shared by every language), so this table knows no language.
ORGAN_OF = {"EU": "EC", "AU": "AUC", "ECOWAS": "ECOWAS_C"}

# What may follow the bare organ word: a verb, punctuation, an adverb, a possessive... A
# complement ("Commission nationale", "Commission on the Status of Women", "Commission de X")
# names another body.
_FOLLOWERS = frozenset({"VERB", "AUX", "PUNCT", "ADV", "PART", "CCONJ", "PRON", "SCONJ"})


def _organ(code: str) -> str | None:
    """The organ a named body stands for: its own (EU -> EC), or itself when it is the organ."""
    if code in ORGAN_OF:
        return ORGAN_OF[code]
    return code if code in ORGAN_OF.values() else None


def organs_named_alone(ctx: Ctx) -> list[OrgFound]:
    doc = ctx.doc
    words = ctx.kb.words("organ_words")
    out: list[OrgFound] = []
    for i, low in enumerate(ctx.lowers):  # the lower forms read once: no Token for most words
        if low not in words or i == 0 or i in ctx.org_at or not doc[i].is_title:
            continue
        if ctx.lower(i - 1) not in ctx.articles:
            continue
        nxt = doc[i + 1] if i + 1 < len(doc) else None
        if nxt is not None and (nxt.pos_ not in _FOLLOWERS or nxt.is_title):
            continue
        parents = {_organ(span_code(o)) for o in ctx.orgs if o.start < i} - {None}
        if len(parents) != 1:
            continue  # no body named before, or several: which commission is unknown
        entry = ctx.kb.orgs_by_id.get(str(parents.pop()))
        if entry is None:
            continue
        out.append(
            OrgFound(
                key=f"id:{entry.id}",
                name=entry.canonical,
                type=entry.type,
                country=None,
                city=None,
                kind=entry.type,
                host=None,
                mentions=[(i - 1, i + 1)],
                topics=entry.topics,
            )
        )
    return out
