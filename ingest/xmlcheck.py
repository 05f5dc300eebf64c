"""The check that runs before any XML parser sees a byte: entity declarations, EBCDIC, and the
document's structure (nesting depth, element count), which bound feedparser's time and memory."""

from __future__ import annotations

import re

from diplowire.ingest.errors import FetchError, FetchKind

_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_WS = b" \t\r\n"
_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)
_NO_BOM = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)


def _ascii_view(body: bytes) -> bytes:
    """The document as ASCII-compatible bytes, so ``<!ENTITY`` cannot hide in UTF-16/32.

    expat (via feedparser) reads UTF-16/32 documents; a byte scan of the raw body would miss a
    declaration written with two or four bytes per character.
    """
    for marks in (_BOMS, _NO_BOM):
        for mark, codec in marks:
            if body.startswith(mark):
                text = body.decode(codec, errors="replace")
                return text.encode("utf-8", errors="replace")
    if body[:4] == b"\x4c\x6f\xa7\x94":  # "<?xm" in EBCDIC: no feed uses it, refuse
        raise FetchError("hostile_xml", "EBCDIC-encoded XML: refused")
    return body


def _has_doctype(doc: bytes) -> bool:
    """True when the prolog (before the root element) holds a DOCTYPE declaration.

    The prolog is walked, comments and processing instructions skipped, so a DOCTYPE behind a
    long comment is found too.
    """
    pos, n = 0, len(doc)
    if doc.startswith(b"\xef\xbb\xbf"):
        pos = 3
    while pos < n:
        while pos < n and doc[pos] in _WS:
            pos += 1
        if doc.startswith(b"<?", pos):
            end = doc.find(b"?>", pos + 2)
            if end < 0:
                return False
            pos = end + 2
        elif doc.startswith(b"<!--", pos):
            end = doc.find(b"-->", pos + 4)
            if end < 0:
                return False
            pos = end + 3
        else:
            return doc[pos : pos + 9].upper() == b"<!DOCTYPE"
    return False


MAX_DEPTH = 100
"""Default ``max_feed_depth``: real feeds nest 5 to 10 deep (rss, channel, item, media:group...),
XHTML content a few dozen more; feedparser's memory grows with the depth (about 360 bytes a
level: 1.4 million levels in a 10 MB body took over 600 MB)."""
MAX_ELEMENTS = 100_000
"""Default ``max_feed_elements``: feedparser spends 30 to 60 us of CPU per element (measured,
tests/ingest/hostile), so this bounds a feed's parse to a few seconds; a real feed has about 10
elements an item, and the largest hold a few hundred items."""
_VOID = frozenset(b"area base br col embed hr img input meta param source track wbr".split())
"""HTML elements that never have an end tag: raw HTML in a (malformed) feed does not deepen it."""
_MARKUP = re.compile(rb"<(?:(!\[CDATA\[)|(!--)|(/)?([A-Za-z_:\x80-\xff][-\w.:\x80-\xff]*)([^<>]*))")
"""A CDATA section or comment opening, or a start/end tag up to its ``>`` (or to the next ``<``,
where a lenient parser ends an unclosed tag too). ``[^<>]*`` never scans past the next ``<``, so
a search is linear in the document whatever it holds."""


def _check_structure(doc: bytes, max_depth: int, max_elements: int) -> None:
    """Refuse documents nested deeper than ``max_depth`` or with more than ``max_elements``
    elements, before feedparser spends (per element, in Python) time and memory on them.

    One linear scan of the tags, with no parser: it has to hold for malformed documents too,
    which feedparser hands to its lenient parser after expat gives up. Comments and CDATA
    sections are skipped (an unterminated one is scanned into, as a lenient parser may); an end
    tag closes the innermost open element of its name and those opened inside it (as an HTML
    parser does, so unclosed HTML tags in a broken feed do not add up). Comments, CDATA sections
    and end tags with no open element count as elements (a parser handles them all the same):
    every step of the scan but a matched end tag is counted, and the scan stops at the first
    limit passed, so its own cost is bounded by the limits (at most about twice
    ``max_elements`` steps), not by the document.
    """
    stack: list[bytes] = []
    open_names: dict[bytes, int] = {}
    unterminated: set[bytes] = set()
    """Terminators not found after some point, hence after any later one: not searched again
    (a body of a million unterminated ``<!--`` would otherwise cost a million full scans)."""
    elements = 0
    pos = 0
    search = _MARKUP.search
    while m := search(doc, pos):
        pos = m.end()
        cdata, comment, closing, name, rest = m.groups()
        if closing and open_names.get(name):
            while True:  # each element is pushed once and popped once: linear overall
                top = stack.pop()
                open_names[top] -= 1
                if top == name:
                    break
            continue
        elements += 1
        if elements > max_elements:
            raise FetchError(
                FetchKind.TOO_MANY_ELEMENTS,
                f"more than {max_elements} XML elements (max_feed_elements): refused",
            )
        if cdata or comment:
            term = b"]]>" if cdata else b"-->"
            end = -1 if term in unterminated else doc.find(term, pos)
            if end >= 0:
                pos = end + 3
            else:
                unterminated.add(term)
            continue
        if closing or rest.rstrip().endswith(b"/") or name.lower() in _VOID:
            continue
        stack.append(name)
        open_names[name] = open_names.get(name, 0) + 1
        if len(stack) > max_depth:
            raise FetchError(
                FetchKind.HOSTILE_XML,
                f"XML elements nested deeper than {max_depth} (max_feed_depth): refused",
            )


def check_xml(body: bytes, *, max_depth: int = MAX_DEPTH, max_elements: int = MAX_ELEMENTS) -> None:
    """Refuse what an XML parser could be tricked with before any parser sees it.

    News feeds have no business declaring entities: a DTD with ``<!ENTITY`` is how billion-laughs
    expansion and external entities (local files, SSRF) get in, so a document whose prolog has a
    DOCTYPE and that contains ``<!ENTITY`` anywhere is refused outright rather than parsed
    carefully. A DOCTYPE without entities (RSS 0.91's) passes: expat is run by feedparser with
    external entities off and feedparser replaces the DOCTYPE anyway, so no DTD is ever fetched.
    Then the structure is bounded (``_check_structure``): feedparser's time and memory grow with
    the elements and the nesting, and neither is covered by the fetch timeout.
    """
    if not body.strip():
        raise FetchError("empty", "empty response body")
    doc = _ascii_view(body)
    if _has_doctype(doc) and _ENTITY.search(doc):
        raise FetchError("hostile_xml", "document declares XML entities (<!ENTITY>): refused")
    try:
        _check_structure(doc, max_depth, max_elements)
    except FetchError as exc:
        if _looks_binary(doc):
            # Random bytes hold a "<" and a letter every kilobyte or so, never closed: binary
            # data (an image, a garbled body) is no feed, said as such rather than as an attack.
            raise FetchError(FetchKind.UNPARSABLE, f"not a feed: binary data ({exc})") from exc
        raise


_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
BINARY_SAMPLE = 4096


def _looks_binary(doc: bytes) -> bool:
    """More than 1 in 32 of the first bytes are control bytes (but tab, CR, LF): XML forbids
    every one of them, and a text with a stray few (a NUL in a title) is far below that."""
    head = doc[:BINARY_SAMPLE]
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls * 32 > len(head)
