"""Real feeds' articles, normalised as the poller does, for tests of the stages after ingest."""

from __future__ import annotations

from diplowire.ingest.feeds import Feed
from diplowire.ingest.parse import parse_feed
from diplowire.wire.article import Article, replace
from diplowire.wire.settings import PollSettings
from tests.ingest import feedfiles as ff


def real_articles(name: str) -> list[Article]:
    """A real feed's articles (tests/ingest/fixtures/<name>), normalised as the poller does."""
    items, _skipped, _hint = parse_feed(
        ff.real(name), Feed(url=f"https://feeds.test/{name}", name=name), PollSettings()
    )
    return [item.article for item in items]


def un_articles() -> list[Article]:
    """The UN News feed's 30 articles (~300 characters of text each)."""
    return real_articles("un-news-europe.xml")


def big_article(articles: list[Article]) -> Article:
    """One article carrying the text of all of them and of the Reuters feed's (~10 kB): its raw
    message (~11 kB) fits the raw topic, its enriched one (~44 kB, ~13 kB gzipped, with entities,
    mentions and lemmas) not the enriched topic."""
    text = "\n\n".join(a.text for a in articles + real_articles("reuters-worldnews-2017.xml"))
    return replace(articles[0], id="f" * 32, text=text)
