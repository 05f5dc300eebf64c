"""Topics from the KB's weighted topic terms and the organisations found."""

import math
from collections import defaultdict

from diplowire.enrich.diplo.context import TOPIC_THRESHOLD, Ctx, OrgFound, longest, span_code
from diplowire.wire.article import Topic


def topics_of(ctx: Ctx, orgs: list[OrgFound]) -> tuple[Topic, ...]:
    counts: dict[int, int] = defaultdict(int)
    surfaces: dict[int, str] = {}
    kept = {(s.start, s.end) for s in longest(ctx.topics)}
    for span in ctx.topics:
        if (span.start, span.end) not in kept:
            continue
        idx = int(span_code(span))
        counts[idx] += 1
        surfaces.setdefault(idx, span.text.lower())
    weight: dict[str, float] = defaultdict(float)
    evidence: dict[str, list[str]] = defaultdict(list)
    for idx, n in counts.items():
        term = ctx.kb.topic_terms[idx]
        # A weak word repeated stays weak evidence: repeats add a quarter each, twice at most.
        weight[term.topic] += term.weight * (1 + 0.25 * min(n - 1, 2))
        evidence[term.topic].append(surfaces[idx])
    for org in orgs:
        topics = list(org.topics)
        if org.type == "diplomatic_mission":
            topics.append("diplomatic_missions")
        for t in topics:
            weight[t] += 1.0
            evidence[t].append(org.name)
    out = [
        Topic(name=t, score=round(1 - math.exp(-w), 3), evidence=tuple(dict.fromkeys(evidence[t])))
        for t, w in weight.items()
        if w >= TOPIC_THRESHOLD
    ]
    return tuple(sorted(out, key=lambda t: (-t.score, t.name)))
