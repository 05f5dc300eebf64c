"""The real news excerpts in the seven languages without NER (de es it pt ru ar zh), as articles:
``tests/enrich/fixtures/languages/items.json`` (their provenance is there) for the enricher's
lemma tests and search's."""

from __future__ import annotations

import json
from pathlib import Path

from diplowire.enrich.pipeline import enrich_batch
from diplowire.wire.article import Article, Source
from tests.support.messages import make_article

ITEMS = Path(__file__).parents[1] / "enrich" / "fixtures" / "languages" / "items.json"


def language_articles() -> list[Article]:
    """One raw article an excerpt: its id as the id and the source's name (search results name
    it), its language as the feed's hint, no title."""
    items = json.loads(ITEMS.read_text("utf-8"))["items"]
    return [
        make_article(
            id=item["id"],
            title="",
            text=item["text"],
            source=Source(name=item["id"], feed_url="https://x.test/feed", lang_hint=item["lang"]),
        )
        for item in items
    ]


def enriched(arts: list[Article]) -> list[Article]:
    """``arts`` through the enricher; each must come out an article (a dead letter fails here)."""
    out = [a for a in enrich_batch(arts) if isinstance(a, Article)]
    assert len(out) == len(arts)
    return out
