"""The entry point: ``analyze`` combines the rules of the sibling modules into ``DiploFacts``."""

import re
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from email.utils import parsedate_to_datetime
from itertools import combinations

from spacy.tokens import Doc

from diplowire.enrich import kb as kbmod
from diplowire.enrich.diplo.actordecision import learned_countries
from diplowire.enrich.diplo.context import Ctx, OrgFound
from diplowire.enrich.diplo.countries import country_mentions
from diplowire.enrich.diplo.dateline import dateline_places, dateline_states
from diplowire.enrich.diplo.organisations import (
    agency_orgs,
    composed_orgs,
    merge_orgs,
    named_orgs,
)
from diplowire.enrich.diplo.persons import (
    person_candidates,
    resolve_persons,
    title_candidates,
)
from diplowire.enrich.diplo.topicchoice import topics_for
from diplowire.enrich.diplo.topics import evidence_of
from diplowire.enrich.kb.entities import org_identity, person_identity
from diplowire.wire.article import Country, Mention, Organization, Person, Topic


@dataclass(frozen=True, slots=True)
class DiploFacts:
    countries: tuple[Country, ...] = ()
    dyads: tuple[str, ...] = ()
    persons: tuple[Person, ...] = ()
    organizations: tuple[Organization, ...] = ()
    topics: tuple[Topic, ...] = ()


def _mention(doc: Doc, start: int, end: int) -> Mention:
    span = doc[start:end]
    return Mention(start=span.start_char, end=span.end_char, text=span.text)


def _kb_person_id(kb: kbmod.KnowledgeBase, index: int | None) -> str | None:
    return (kb.persons[index].id or None) if index is not None else None


def _org_identity(o: OrgFound) -> tuple[str, str]:
    """Language-neutral id and label (``enrich.kb.entities``) of an organisation found."""
    return org_identity(
        name=o.name,
        type=o.type,
        country=o.country,
        kind=o.kind,
        host=o.host,
        city=o.city,
        kb_id=o.key[3:] if o.key.startswith("id:") else None,
    )


def iso_day(published: str | date | None) -> str | None:
    """The article's date as ``YYYY-MM-DD`` from ISO ('2025-02-10', '2020-07') or RFC 822 text."""
    if published is None:
        return None
    if isinstance(published, date):
        return published.isoformat()[:10]
    text = published.strip()
    m = re.match(r"(\d{4})-(\d{2})(?:-(\d{2}))?", text)
    if m:
        return f"{m.group(1)}-{m.group(2)}-{m.group(3) or '01'}"
    try:
        return parsedate_to_datetime(text).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def analyze(
    doc: Doc,
    lang: str,
    published: str | date | None = None,
    *,
    learned_actors: bool = True,
    learned_topics: bool | None = None,
) -> DiploFacts:
    """Facts of one Doc. ``published`` (the article's date) keeps KB officials to their terms.
    Actors are decided by the learned classifier (``actordecision``), which reads the rules'
    verdicts as features; ``learned_actors=False`` gives the rules' verdicts themselves (what
    the classifier is trained on and compared with). Topics are the rules' unless
    ``learned_topics`` (``None``: ``topicchoice.LEARNED_TOPICS_DEFAULT``) asks for the learned
    decision over the same evidence (``topicchoice``)."""
    kb = kbmod.load(lang)
    if not kb.lexicon:
        return DiploFacts()
    ctx = Ctx(doc, lang)
    mentions = country_mentions(ctx)
    orgs = merge_orgs(named_orgs(ctx) + composed_orgs(ctx) + agency_orgs(ctx))
    cands = person_candidates(ctx)
    cands += title_candidates(ctx, cands)
    persons = resolve_persons(ctx, cands, iso_day(published))

    # States named by their organisations and officials act in the story.
    actor_codes: set[str] = {m.code for m in mentions if m.actor and m.counted}
    extra: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for org in orgs:
        if org.country and org.type != "international_org":
            actor_codes.add(org.country)
            extra[org.country].extend(org.mentions[:1])
        if org.host and org.kind == "embassy":
            # An embassy is accredited to a state: the host state is part of the story.
            extra[org.host].extend(org.mentions[:1])
    for p in persons:
        if p.country and p.official:
            actor_codes.add(p.country)
    per_code: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for m in sorted(mentions, key=lambda m: m.start):
        if m.counted and not m.venue:
            per_code[m.code].append((m.start, m.end))
    for code, spans in extra.items():
        if code not in per_code:
            per_code[code] = spans
    for code, span in dateline_states(ctx, dateline_places(ctx), persons).items():
        if code not in per_code:
            # "Muscat: ..., Foreign Minister on Monday received": the officials' state.
            per_code[code] = [span]
            actor_codes.add(code)
    # A state named nowhere in the story (no name, demonym, capital or mission) is not one of its
    # countries, even when its official acts (eval/LABELLING.md P4): persons.tsv now knows every
    # state's leaders, and their states would otherwise enter stories that never name them.
    codes_order = sorted(per_code, key=lambda c: min(s for s, _ in per_code[c]))
    countries = tuple(
        Country(
            code=code,
            name=kb.country_names.get(code, code),
            actor=code in actor_codes,
            mentions=tuple(_mention(doc, s, e) for s, e in sorted(set(per_code[code]))),
        )
        for code in codes_order
    )
    person_out = tuple(
        Person(
            name=p.name,
            id=(ident := person_identity(p.name, _kb_person_id(kb, p.kb_index)))[0],
            label=ident[1],
            role=p.role,
            country=p.country,
            posted_to=p.posted_to,
            mentions=tuple(_mention(doc, s, e) for s, e in sorted(set(p.spans))),
        )
        for p in persons
    )
    org_out = tuple(
        Organization(
            name=o.name,
            type=o.type,
            id=(ident := _org_identity(o))[0],
            label=ident[1],
            country=o.country,
            city=o.city,
            mentions=tuple(_mention(doc, s, e) for s, e in sorted(set(o.mentions))),
        )
        for o in sorted(orgs, key=lambda o: min(s for s, _ in o.mentions))
    )
    facts = DiploFacts(
        countries=countries,
        persons=person_out,
        organizations=org_out,
        topics=topics_for(ctx, evidence_of(ctx, orgs), lang, learned_topics),
    )
    if learned_actors:
        countries = learned_countries(doc, lang, facts, ctx, mentions)
    actors = sorted(c.code for c in countries if c.actor)
    dyads = tuple(f"{a}-{b}" for a, b in combinations(actors, 2))
    return replace(facts, countries=countries, dyads=dyads)
