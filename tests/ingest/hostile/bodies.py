"""Bodies for the hostile corpus, built from the real UN News items of tests/ingest/fixtures
(feedfiles.un_items): only the hostile part is made up."""

from __future__ import annotations

import random
import time
import zlib
from collections.abc import Iterator
from xml.sax.saxutils import escape

from tests.ingest import feedfiles as ff

# ---------------------------------------------------------------------------------------


def rss(items: str, *, head: str = '<?xml version="1.0" encoding="utf-8"?>\n') -> bytes:
    return (
        f'{head}<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        "<title>UN News - Europe</title>"
        "<link>https://news.un.org</link><description>UN News</description>"
        f"<language>en</language>{items}</channel></rss>\n"
    ).encode()


def item(
    n: int,
    *,
    title: str | None = None,
    link: str | None = None,
    description: str | None = None,
    **extra: str,
) -> str:
    """Item ``n`` of the real UN feed; ``title``/``link``/``description`` replace its own
    (given as XML, already escaped); ``extra`` adds elements."""
    un = ff.un_items()[n % len(ff.un_items())]
    more = "".join(f"<{k}>{v}</{k}>" for k, v in extra.items())
    desc = escape(un["summary"]) if description is None else description
    return (
        f"<item><title>{escape(un['title']) if title is None else title}</title>"
        f"<link>{escape(un['link']) if link is None else link}</link>"
        f"<description>{desc}</description>{more}</item>"
    )


def un(n: int = 5) -> bytes:
    return rss("".join(item(i) for i in range(n)))


LAUGHS_UTF16 = ff.BILLION_LAUGHS.decode().encode("utf-16")
QUADRATIC = (
    '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "' + "a" * 50_000 + '">]>\n'
    '<rss version="2.0"><channel><title>t</title><item><title>x</title>'
    "<link>https://news.un.org/x</link><description>" + "&a;" * 50_000 + "</description>"
    "</item></channel></rss>\n"
).encode()


def param_entity(dtd: str) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY % remote SYSTEM "{dtd}"> %remote;]>\n'
    ).encode() + un(2).split(b"\n", 1)[1]


def behind_comment(doc: bytes) -> bytes:
    """The DOCTYPE pushed behind a 200 kB comment, where a prefix scan would not look."""
    decl, rest = doc.split(b"\n", 1)
    return decl + b"\n<!--" + b" padding " * 22_000 + b"-->\n" + rest


def xinclude() -> bytes:
    return rss(
        item(
            0,
            description='<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
            'href="file:///etc/passwd" parse="text"/>',
        )
    )


def nested(depth: int) -> bytes:
    return rss(item(0) + "<x>" * depth + "</x>" * depth + item(1))


def endless_items() -> Iterator[bytes]:
    yield rss("").split(b"</channel>")[0]
    block = "".join(item(i) for i in range(30)).encode()
    while True:
        yield block


def endless_slow() -> Iterator[bytes]:
    yield rss("").split(b"</channel>")[0]
    while True:
        time.sleep(0.3)
        yield item(0).encode()


def zeros_bomb(wrap: str, n_mb: int = 200) -> bytes:
    """``n_mb`` MB of NULs compressed (about 1000:1), built without holding them in memory."""
    bits = {"gzip": 16 + zlib.MAX_WBITS, "zlib": zlib.MAX_WBITS, "raw": -zlib.MAX_WBITS}[wrap]
    comp = zlib.compressobj(9, zlib.DEFLATED, bits)
    block = b"\0" * (1 << 20)
    return b"".join(comp.compress(block) for _ in range(n_mb)) + comp.flush()


def garbage(n: int) -> bytes:
    return random.Random(9).randbytes(n)


def dated(dates: list[str], tag: str = "pubDate") -> bytes:
    return rss("".join(item(i, **{tag: escape(d)}) for i, d in enumerate(dates)))


BAD_DATES = [
    "Sat, 00 Jan 0000 00:00:00 GMT",
    "Fri, 01 Jan 99999 00:00:00 GMT",
    "Wed, 30 Feb 2022 10:00:00 GMT",
    "yesterday at noon",
    "",
    "2022-13-45T99:99:99Z",
    "-1",
    "Thu, 01 Jan 1970 00:00:00 GMT",
    "Tue, 19 Jan 2038 03:14:08 GMT",
    "9" * 5000,
    "Mon, 01 Apr 2022 10:00:00 +9999",
]


def many_items(n: int) -> bytes:
    """``n`` items: the real UN titles and links in turn, each link made distinct by a query."""
    un_ = ff.un_items()
    parts = [
        f"<item><title>{escape(un_[i % 30]['title'])}</title>"
        f"<link>{escape(un_[i % 30]['link'])}?n={i}</link></item>"
        for i in range(n)
    ]
    return rss("".join(parts))


def with_controls() -> bytes:
    """Raw C0 control characters (forbidden in XML 1.0) inside titles and a link."""
    un_ = ff.un_items()
    return rss(
        item(0, title=escape(un_[0]["title"]) + "\x01\x02\x07\x08\x0b\x0c\x1b")
        + item(1, link=escape(un_[1]["link"]) + "\x05x")
        + item(2)
    )


def with_char_refs() -> bytes:
    """Control characters spelled as character references, which expat refuses too."""
    un_ = ff.un_items()
    return rss(item(0, title=escape(un_[0]["title"]) + "&#1;&#0;&#x1b;&#xFFFE;") + item(1))


def with_nuls() -> bytes:
    doc = un(3)
    return doc.replace(b"<title>", b"<title>\x00", 2).replace(
        b"</description>", b"\x00\x00</description>"
    )


def mixed_encoding(charset: str = "cp1252") -> bytes:
    """UTF-8 declared, a few windows-1252 bytes in the channel's and the first item's titles
    (a copy-pasted quote); ``charset="utf-8"``: the same document as it should have been."""
    return un(3).replace(b"</title>", " “quoted” café</title>".encode(charset), 2)


NEWS_HOMEPAGE = (
    "<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>UN News</title></head><body>"
    + "".join(
        f'<article><h2><a href="{escape(i["link"])}">{escape(i["title"])}</a></h2>'
        f"<p>{escape(i['summary'])}</p></article>"
        for i in ff.un_items()[:10]
    )
    + "</body></html>"
).encode()
XHTML_PAGE = (
    '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head>'
    "<title>UN News</title></head><body>"
    + "".join(f"<p>{escape(i['summary'])}</p>" for i in ff.un_items()[:5])
    + "</body></html>"
).encode()


def header_charset_lie() -> bytes:
    return ff.reencoded("iso-8859-1").replace(b'encoding="iso-8859-1"', b'encoding="utf-8"', 1)
