"""Fuzzing of the stages' message decoder: any bytes are an article or a typed poison.

``wire.article.decode`` is what every consuming stage (enrich, index) runs on a record; whatever
it refuses is dead-lettered under its ``InvalidMessage.kind`` label. Inputs: arbitrary
bytes, and real articles (tests/index/fixtures/enriched.jsonl) with fields removed, retyped or
replaced by random JSON. See tests/fuzzing.py for the profiles; ``make fuzz`` runs them long.
"""

from __future__ import annotations

import json

import msgspec
import pytest
from hypothesis import example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from diplowire.wire.article import Article, InvalidMessage, decode, encode
from diplowire.wire.outcomes import MessageError
from tests.fuzzing import examples
from tests.support.mutations import SEEDS, mutated_articles

# The dead-letter labels (dw-error header) a decode failure may carry.
DECODE_ERRORS = {"invalid_json", "unsupported_version", "oversized", "empty", "schema_violation"}


def _check(data: bytes | None, max_bytes: int | None) -> Article | None:
    try:
        art = decode(data, max_bytes=max_bytes)
    except InvalidMessage as exc:
        assert isinstance(exc.kind, MessageError)
        assert exc.kind in DECODE_ERRORS
        assert str(exc)  # the dw-cause header says why
        return None
    assert isinstance(art, Article)
    # What one stage accepted, the next accepts again, unchanged.
    assert decode(encode(art)) == art
    return art


@hsettings(max_examples=examples(2.0))
@given(st.one_of(st.none(), st.binary(max_size=300)), st.one_of(st.none(), st.integers(0, 400)))
@example(b'{"schema_version":1,"id":"\\ud800"}', None)
@example(b'{"schema_version":2}', None)
@example(b'{"schema_version":1e400}', None)
def test_arbitrary_bytes_decode_to_an_article_or_a_labelled_poison(
    data: bytes | None, max_bytes: int | None
) -> None:
    _check(data, max_bytes)


@hsettings(max_examples=examples(1.5))
@given(mutated_articles())
def test_mutated_articles_decode_to_an_article_or_a_labelled_poison(data: bytes) -> None:
    art = _check(data, None)
    if art is not None:
        # Whatever passed the schema is what the schema promises downstream.
        assert len(art.id) == 32 and art.version >= 1
        assert msgspec.json.decode(encode(art))["schema_version"] == 1


def test_every_seed_decodes() -> None:
    """The mutations start from valid articles, so a refusal above is the mutation's doing."""
    assert len(SEEDS) > 100
    for obj in SEEDS:
        assert _check(json.dumps(obj).encode(), None) is not None


@pytest.mark.parametrize(
    "data",
    [b"[" * 2_000, b'{"x":' + b"[" * 100_000, b'{"schema_version":1,"title":' + b'{"a":' * 5_000],
    ids=["array", "unknown-field", "object"],
)
def test_deeply_nested_json_is_a_labelled_poison(data: bytes) -> None:
    """Found by fuzzing: nesting deeper than the recursion limit raised RecursionError, which
    the consume loop does not catch (a crash on the record, again at every restart)."""
    assert _check(data, None) is None
