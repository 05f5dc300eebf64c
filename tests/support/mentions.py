"""Mention rows for unit tests of the actor decision's stages (``dyadstage``, ``dyadpairs``): a
row with the named mention features set and every other feature 0."""

from __future__ import annotations

from diplowire.enrich.diplo.actorfeatures import FEATURES, INDEX, MentionRow


def mention_row(code: str, start: int, sent: int, **cues: float) -> MentionRow:
    v = [0.0] * len(FEATURES)
    for name, value in cues.items():
        v[INDEX[name]] = value
    return MentionRow(code=code, start=start, features=tuple(v), sent=sent)
