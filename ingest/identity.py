"""Which article each item of a feed document is: its URL's id, or the article its GUID named.

The article id comes from the canonical URL. The GUID memory (GUID -> article id, kept for items
Kafka acknowledged) only lets an item whose URL changed keep its article: it is trusted when

* the GUID names a single link in this document (feeds that give several items one bare GUID,
  or number them "1", "2"... on every build, do not get to merge them),
* the remembered article's own URL is not in this document (then the GUID clearly names
  something else now), and
* the item is recognisably that article: same title, or same title and text.

Otherwise the item is its URL's article. Two items of one document that end on the same id are
one article: an exact repeat is a plain duplicate, another text is skipped as
``duplicate_item`` (the first is kept); neither is ever published as a version of the other.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from diplowire.ingest.parse import Item
from diplowire.ingest.state import Seen
from diplowire.wire.article import replace

_WORDS = re.compile(r"\w+")


def title_key(title: str) -> str:
    """Short hash of a title's words (case, punctuation and spacing ignored)."""
    words = _WORDS.findall(title.lower())
    return hashlib.sha1(" ".join(words).encode()).hexdigest()[:8]


@dataclass
class Resolution:
    items: list[Item] = field(default_factory=list)
    """One per article id, first seen first: the id possibly rebound by the GUID, whose
    ``guid_key`` is None when the GUID must not be remembered (shared by several links)."""
    repeats: int = 0
    """Items identical to an earlier item of the document with the same id."""
    collisions: list[tuple[Item, Item]] = field(default_factory=list)
    """(skipped item, the kept item with the same id and other content)."""
    shared_guids: list[str] = field(default_factory=list)
    """GUID keys given to items with different links in this document: not used."""


def _same_article(seen: Seen | None, item: Item) -> bool:
    if seen is None:
        return False
    if seen.content_hash == item.digest:
        return True
    return bool(seen.title_key) and seen.title_key == title_key(item.article.title)


def resolve(
    items: Sequence[Item],
    guid_owner: Callable[[str], str | None],
    seen: Callable[[str], Seen | None],
) -> Resolution:
    """Final article ids of a document's items (see the module's rules)."""
    links: dict[str, set[str]] = {}
    for it in items:
        if it.guid_key:
            links.setdefault(it.guid_key, set()).add(it.article.id)
    shared = {key for key, ids in links.items() if len(ids) > 1}
    own_ids = {it.article.id for it in items}
    out = Resolution(shared_guids=sorted(shared))
    kept: dict[str, Item] = {}
    for it in items:
        key = None if it.guid_key in shared else it.guid_key
        art = it.article
        owner = guid_owner(key) if key else None
        if owner and owner != art.id and owner not in own_ids and _same_article(seen(owner), it):
            art = replace(art, id=owner)  # the same article, moved to another URL
        placed = Item(art, it.digest, key)
        first = kept.get(art.id)
        if first is None:
            kept[art.id] = placed
            out.items.append(placed)
        elif first.digest == placed.digest:
            out.repeats += 1
        else:
            out.collisions.append((placed, first))
    return out
