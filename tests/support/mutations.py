"""Real articles (tests/index/fixtures/enriched.jsonl) with fields removed, retyped or replaced
by random JSON: the fuzzing input of the message decoder (tests/wire) and of the indexer's
document builder (tests/index)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

FIXTURE = Path(__file__).resolve().parents[1] / "index" / "fixtures" / "enriched.jsonl"
SEEDS = [json.loads(line) for line in FIXTURE.read_bytes().splitlines() if line.strip()]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
# Values a field is likely to be replaced with: near misses of what the schema allows.
near_misses = st.one_of(
    json_values,
    st.sampled_from(
        [
            "",
            "0" * 32,
            "A" * 32,
            "2025-02-30T10:00:00Z",
            "2025-02-10T10:00:00",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59-23:59",
            "2025-02-10T10:00:00.1234567891Z",
            0,
            -1,
            2**63,
            2**63 - 1,
            1e308,
            "\ud800",
        ]
    ),
)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every field and list element of a JSON value, as a path of keys and indices."""
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for key, value in obj.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            out += _paths(value, (*prefix, i))
    return out


@st.composite
def mutated_articles(draw: st.DrawFn) -> bytes:
    obj = json.loads(json.dumps(draw(st.sampled_from(SEEDS))))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(obj)))
        parent = obj
        for step in path[:-1]:
            parent = parent[step]
        how = draw(st.sampled_from(["replace", "delete", "add"]))
        if how == "delete":
            del parent[path[-1]]
        elif how == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = draw(near_misses)
        else:
            parent[path[-1]] = draw(near_misses)
        if not _paths(obj):
            break
    raw = json.dumps(obj, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        # Now and then broken as bytes too: cut short, or a byte flipped.
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] if draw(st.booleans()) else raw[:at] + bytes([draw(st.integers(0, 255))])
    return raw
