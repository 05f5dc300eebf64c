"""Test feeds: the real feed files in fixtures/ and variants built from their real items.

fixtures/ is a byte-identical copy of the project's shared real feed files (provenance, repository
and commit of each in fixtures/SOURCES.md), so tests never read outside the repository.

Nothing here invents article text: the RSS 0.91, RSS 1.0 (RDF) and Atom variants re-serialise
the items of the real UN News feed; the odd encodings re-encode the real Libération feed; the
broken dates replace only the date strings of the real UN News feed.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import feedparser

from diplowire.wire.settings import KafkaSettings, PollSettings

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REAL = (
    "franceinfo-monde.xml",
    "heise-developer-atom.xml",
    "liberation-une.xml",
    "reuters-worldnews-2017.xml",
    "un-news-europe.xml",
)


def real(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@cache
def un_items() -> tuple[dict[str, str], ...]:
    parsed = feedparser.parse(real("un-news-europe.xml"))
    return tuple(
        {
            "title": e.title,
            "link": e.link,
            "summary": e.summary,
            "published": e.published,
            "guid": e.id,
        }
        for e in parsed.entries
    )


def rss091(n: int = 10) -> bytes:
    items = "".join(
        f"<item><title>{escape(i['title'])}</title><link>{escape(i['link'])}</link>"
        f"<description>{escape(i['summary'])}</description></item>"
        for i in un_items()[:n]
    )
    return (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"\n'
        ' "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
        '<rss version="0.91"><channel><title>UN News - Europe</title>'
        "<link>https://news.un.org</link><description>UN News</description>"
        f"<language>en</language>{items}</channel></rss>\n"
    ).encode("iso-8859-1", errors="xmlcharrefreplace")


def rdf10(n: int = 10) -> bytes:
    items = un_items()[:n]
    seq = "".join(f'<rdf:li rdf:resource="{escape(i["link"])}"/>' for i in items)
    body = "".join(
        f'<item rdf:about="{escape(i["link"])}"><title>{escape(i["title"])}</title>'
        f"<link>{escape(i['link'])}</link><description>{escape(i['summary'])}</description>"
        f"<dc:date>{_w3c(i['published'])}</dc:date></item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<channel rdf:about="https://news.un.org/feed"><title>UN News - Europe</title>'
        "<link>https://news.un.org</link><description>UN News</description>"
        f"<items><rdf:Seq>{seq}</rdf:Seq></items></channel>{body}</rdf:RDF>\n"
    ).encode()


def atom(n: int = 10) -> bytes:
    entries = "".join(
        f'<entry><title>{escape(i["title"])}</title><link href="{escape(i["link"])}"/>'
        f"<id>{escape(i['guid'])}</id><updated>{_w3c(i['published'])}</updated>"
        f'<summary type="html">{escape(i["summary"])}</summary></entry>'
        for i in un_items()[:n]
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>UN News - Europe</title><id>https://news.un.org/feed</id>"
        f"<updated>2022-04-01T04:01:55Z</updated>{entries}</feed>\n"
    ).encode()


def rss20(items: list[int], *, long: tuple[int, ...] = ()) -> bytes:
    """RSS 2.0 of the real UN News items numbered ``items``, with GUIDs.

    The items numbered in ``long`` carry the summaries of all 30 items as their description
    (about 10 kB of real text): an article larger than a small topic allows.
    """
    un = un_items()
    every = " ".join(i["summary"] for i in un)
    body = "".join(
        f"<item><title>{escape(un[n]['title'])}</title><link>{escape(un[n]['link'])}</link>"
        f"<guid>{escape(un[n]['guid'])}</guid>"
        f"<description>{escape(every if n in long else un[n]['summary'])}</description></item>"
        for n in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>UN News - Europe</title><link>https://news.un.org</link>"
        f"<description>UN News</description><language>en</language>{body}</channel></rss>"
    ).encode()


def _w3c(rfc822: str) -> str:
    from email.utils import parsedate_to_datetime

    return parsedate_to_datetime(rfc822).isoformat()


def reencoded(codec: str) -> bytes:
    """The real Libération feed (UTF-8) declared and encoded as ``codec``."""
    text = real("liberation-une.xml").decode("utf-8")
    text = text.replace('encoding="UTF-8"', f'encoding="{codec}"', 1)
    return text.encode(codec, errors="xmlcharrefreplace")


def broken_dates() -> bytes:
    """UN News with each pubDate replaced by an unparsable or impossible one, in turn."""
    bad = iter(["not a date", "Mon, 45 Foo 2022 99:99:99 +0000", "Fri, 01 Apr 1850 00:00:00 GMT"])
    doc = real("un-news-europe.xml").decode()
    out = re.sub(r"<pubDate>[^<]*</pubDate>", lambda m: f"<pubDate>{next(bad, '')}</pubDate>", doc)
    return out.encode()


def html_titles() -> bytes:
    """Real UN items whose titles carry HTML markup and (double-)escaped entities."""
    entries = "".join(
        f"<item><title>{escape('<b>' + i['title'] + '</b> &amp; <script>x()</script>')}</title>"
        f"<link>{escape(i['link'])}</link><description>{escape(i['summary'])}</description>"
        "</item>"
        for i in un_items()[:3]
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>UN News</title><link>https://news.un.org</link>{entries}</channel></rss>\n"
    ).encode()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><link>https://example.org/a</link></item></channel></rss>
"""


def xxe(system_id: str) -> bytes:
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE rss [ <!ENTITY xxe SYSTEM "{system_id}"> ]>\n'
        '<rss version="2.0"><channel><title>t</title>'
        "<item><title>&xxe;</title><link>https://example.org/x</link>"
        "<description>&xxe;</description></item></channel></rss>\n"
    ).encode()


def external_dtd(system_id: str) -> bytes:
    """A DOCTYPE pointing at an external DTD and no entity declaration: parsed, DTD not read."""
    doc = real("un-news-europe.xml").decode()
    head, rest = doc.split("<rss", 1)
    return (head + f'<!DOCTYPE rss SYSTEM "{system_id}">\n<rss' + rest).encode()


LOCAL_SERVER = ("127.0.0.1",)
"""The allow-list of tests whose feeds are served on 127.0.0.1 (refused by default)."""


def poll_settings(kafka: KafkaSettings, state_dir: Path, **kw: Any) -> PollSettings:
    """Poller settings for tests against the local HTTP server: short timeouts, no host spacing."""
    base: dict[str, Any] = {
        "fetch_timeout_s": 3,
        "per_host_concurrency": 4,
        "per_host_min_spacing_s": 0.0,
        "allow_addresses": LOCAL_SERVER,
    }
    return PollSettings(kafka=kafka, state_dir=str(state_dir), **{**base, **kw})
