"""Fuzzing of the index stage's document builder: any article the decoder lets through becomes
a JSON document (or NotIndexable), and the document gives the article back (``index migrate``).

Articles come from the real enriched fixture with fields replaced by random values and are kept
only when ``wire.article.decode`` accepts them: the builder sees nothing else in the pipeline.
"""

from __future__ import annotations

import json

import msgspec
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from diplowire.index.docs import NotIndexable, document, from_document, to_document
from diplowire.wire.article import Article, InvalidMessage, decode
from tests.fuzzing import examples
from tests.support.mutations import mutated_articles

INDEXED_AT = "2026-01-01T00:00:00.000Z"
indexed_ats = st.one_of(
    st.just(INDEXED_AT),
    st.sampled_from(["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59Z", "2024-02-29T12:00:00Z"]),
)


def _decodable(data: bytes) -> Article | None:
    try:
        return decode(data)
    except InvalidMessage:
        return None


@hsettings(max_examples=examples(1.0))
@given(mutated_articles(), indexed_ats)
def test_a_decodable_article_becomes_a_json_document_or_not_indexable(
    data: bytes, indexed_at: str
) -> None:
    art = _decodable(data)
    if art is None:
        return
    try:
        doc = to_document(art, indexed_at)
    except NotIndexable:
        assert art.enrichment is None
        return
    # Strict JSON (Elasticsearch refuses NaN and Infinity), the same bytes as the indexer's form.
    text = json.dumps(doc, allow_nan=False)
    assert msgspec.json.encode(document(art, indexed_at)) == msgspec.json.encode(doc)
    back, indexed = from_document(json.loads(text))
    assert back == art
    assert indexed == indexed_at
