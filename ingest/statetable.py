"""A table of the poller's SQLite state seen as a dict, without holding the table in memory.

At 20,000 feeds the seen set is ~700,000 articles; held whole in memory it took the poller to
1.1 GB. A :class:`Table` holds only

* ``pending``: what was written since the last save (a few thousand rows at most: the poller
  saves after every drain of acknowledgements), written by the store's next save;
* ``cache``: the rows of the feed being processed, read in one query (:meth:`Table.prefetch`)
  and dropped with :meth:`Table.release` when the feed is done. Absent keys are cached as
  ``None``: in a first pass nearly every lookup misses, and a miss must not cost a query each.

Everything else is read from the database when asked (an indexed lookup). A table built by hand
(no store yet) is all ``pending``: its first save writes it whole, then binds it to the store.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, MutableMapping
from typing import Generic, Protocol, TypeVar

V = TypeVar("V")


class Kind(enum.Enum):
    SEEN = "seen"
    """article id -> :class:`~ingest.state.Seen`"""
    GUIDS = "guids"
    """feed GUID key -> article id"""
    ITEMS = "items"
    """feed URL -> the article ids its last fully acknowledged document carried"""


class Source(Protocol):
    """What a table reads from (the state store)."""

    def fetch(self, kind: Kind, keys: list[str]) -> dict[str, object]: ...

    def keys_of(self, kind: Kind) -> list[str]: ...


_MISS = object()


class Table(MutableMapping[str, V], Generic[V]):
    def __init__(self, kind: Kind, rows: dict[str, V] | None = None) -> None:
        self.kind = kind
        self.pending: dict[str, V] = dict(rows or {})
        self.removed: set[str] = set()
        """Keys deleted since the last save (deleted from the database by the next save)."""
        self.cache: dict[str, V | None] = {}
        self.source: Source | None = None

    # -- reads -------------------------------------------------------------------------------

    def get(self, key: str, default: V | None = None) -> V | None:  # type: ignore[override]
        # Worker threads read too (full-text feeds): each step below reads one dict once, and a
        # save writes the database before it empties ``pending``, so a row is always in one of
        # them.
        v = self.pending.get(key, _MISS)
        if v is not _MISS:
            return v  # type: ignore[return-value]
        if key in self.removed:
            return default
        v = self.cache.get(key, _MISS)
        if v is _MISS:
            src = self.source
            v = None if src is None else src.fetch(self.kind, [key]).get(key)
        return default if v is None else v  # type: ignore[return-value]

    def get_many(self, keys: Iterable[str]) -> dict[str, V]:
        """The rows of ``keys`` that exist, in one query for those not pending."""
        out: dict[str, V] = {}
        ask: list[str] = []
        for k in dict.fromkeys(keys):
            if k in self.pending:
                out[k] = self.pending[k]
            elif k not in self.removed:
                ask.append(k)
        if ask and self.source is not None:
            out.update(self.source.fetch(self.kind, ask))  # type: ignore[arg-type]
        return out

    def __getitem__(self, key: str) -> V:
        v = self.get(key)
        if v is None:
            raise KeyError(key)
        return v

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        # The whole table: for tests, tools and small states, not for the poll path.
        stored = [] if self.source is None else self.source.keys_of(self.kind)
        extra = [k for k in stored if k not in self.pending and k not in self.removed]
        return iter([*self.pending, *extra])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __bool__(self) -> bool:
        return bool(self.pending) or any(True for _ in self)

    # -- writes (kept until the store's next save) -------------------------------------------

    def __setitem__(self, key: str, value: V) -> None:
        self.pending[key] = value
        self.removed.discard(key)
        self.cache.pop(key, None)

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self.pending.pop(key, None)
        self.cache.pop(key, None)
        self.removed.add(key)

    # -- the feed in hand --------------------------------------------------------------------

    def prefetch(self, rows: dict[str, V], asked: Iterable[str]) -> None:
        """Cache ``rows`` as read for ``asked`` (the keys asked and not found are cached as
        absent)."""
        for k in asked:
            self.cache[k] = rows.get(k)

    def release(self) -> None:
        self.cache = {}

    def saved(self, source: Source) -> None:
        """Called by the store once ``pending`` and ``removed`` are in the database."""
        self.pending = {}
        self.removed = set()
        self.cache = {}
        self.source = source
