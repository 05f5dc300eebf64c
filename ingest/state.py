"""Poller state in one embedded SQLite database (stdlib ``sqlite3``, WAL mode): no database server
to run, survives restarts, and grows with the feed list instead of being rewritten whole.

Why local and not only a compacted topic: the poller must be able to decide what is new even while
Kafka is down (it then publishes nothing and keeps its state). Several pollers sharing one feed
list also write each feed's state to a compacted topic (ingest.ownership), so a feed's state can
follow the feed to its next owner; the local database stays the working copy.

What is written: one row per feed (its :class:`FeedState` and the ids its last parsed document
carried) and one row per seen article. Only what changed since the last save is written, in one
transaction, and only state for articles Kafka acknowledged is ever in memory to be written: the
poller changes the in-memory state for an article only after its send was acknowledged.

The seen set is bounded by what the feeds still carry, not by a count (:meth:`StateStore.prune`):
an article is forgotten only once no feed of the list carried it for ``seen_grace_s``.

A :class:`FeedState` is frozen: the poller replaces it with ``ingest.transitions.next_state``'s
result, so no helper edits a feed's state that another one holds.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import msgspec


@dataclass(frozen=True)
class FeedState:
    url: str
    etag: str | None = None
    last_modified: str | None = None
    health: str = "new"
    """new | ok | failing | disabled"""
    failures: int = 0
    last_error: str = ""
    last_status: int | None = None
    last_polled: str | None = None
    next_poll_at: float = 0.0
    moved_to: str | None = None
    articles_published: int = 0
    body_hash: str | None = None
    """Hash of the last body parsed: a 200 with the same body costs no parsing."""
    validators_trusted: bool = True
    """False once the server sent unchanged validators for a changed body."""
    polls_since_verify: int = 0
    interval_s: float = 0.0
    """Current adaptive interval (0 = not yet adapted)."""
    last_changed: float = 0.0
    change_period_s: float = 0.0
    """Smoothed time between observed changes of the feed."""
    hint_s: float = 0.0
    """The longest interval the server asked for (ttl, sy:updatePeriod, max-age)."""
    delta_ok: bool = True
    """False once the server answered A-IM with a 226 we could not use: no more delta asks."""
    deltas: int = 0
    """226 IM Used responses (RFC 3229 feed deltas) received."""
    articles_oversized: int = 0
    """Articles too large for the raw topic, written to the dead-letter topic instead."""
    skipped: dict[str, int] = field(default_factory=dict)
    """Entries of the last parsed document not published, per reason (ingest.outcomes)."""
    charset_note: str = ""
    """Set when the last parsed document was not valid in the charset it declares."""


@dataclass(slots=True)
class Seen:
    content_hash: str
    version: int
    last_seen: float
    title_key: str = ""
    """Hash of the title's words: a GUID seen under another URL is this article again only if
    the title (or the whole content) matches (ingest.identity)."""
    feed: str = ""
    """The feed that last published it ("" for articles moved over from the JSON state)."""
    gone_at: float = 0.0
    """When the prune first found no listed feed carrying it (0 = still carried)."""


@dataclass
class PollerState:
    feeds: dict[str, FeedState] = field(default_factory=dict)
    seen: dict[str, Seen] = field(default_factory=dict)
    """article id -> what was last published for it."""
    guids: dict[str, str] = field(default_factory=dict)
    """feed GUID key -> article id, so a GUID seen under another URL is recognised."""
    items: dict[str, list[str]] = field(default_factory=dict)
    """feed URL -> the article ids its last fully acknowledged document carried."""
    dirty_feeds: set[str] = field(default_factory=set)
    dirty_seen: set[str] = field(default_factory=set)
    dirty_guids: set[str] = field(default_factory=set)
    tracked: bool = False
    """True once loaded from or saved to a store: only the dirty entries are written then. A
    state built by hand is written whole."""

    def set_feed(self, url: str, fs: FeedState) -> None:
        self.feeds[url] = fs
        self.dirty_feeds.add(url)

    def set_seen(self, art_id: str, seen: Seen, guid_key: str | None) -> None:
        self.seen[art_id] = seen
        self.dirty_seen.add(art_id)
        if guid_key:
            self.guids[guid_key] = art_id
            self.dirty_guids.add(guid_key)

    def set_items(self, url: str, ids: list[str]) -> None:
        self.items[url] = ids
        self.dirty_feeds.add(url)


DB_NAME = "poller-state.sqlite"
LEGACY_NAME = "poller-state.json"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (url TEXT PRIMARY KEY, state BLOB NOT NULL, items BLOB)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seen (
    id TEXT PRIMARY KEY, feed TEXT NOT NULL, hash TEXT NOT NULL, version INTEGER NOT NULL,
    last_seen REAL NOT NULL, title_key TEXT NOT NULL, gone_at REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS guids (guid TEXT PRIMARY KEY, id TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS seen_by_feed ON seen (feed);
CREATE INDEX IF NOT EXISTS guids_by_id ON guids (id);
"""
_FEED_ENC = msgspec.json.Encoder()
_FEED_DEC = msgspec.json.Decoder(FeedState)
_IDS_DEC = msgspec.json.Decoder(list[str])


class _LegacySeen(msgspec.Struct):
    content_hash: str
    version: int
    last_seen: float
    title_key: str = ""


class _Legacy(msgspec.Struct):
    """The JSON state file written before the SQLite store (one document, rewritten whole)."""

    feeds: dict[str, FeedState] = {}
    seen: dict[str, _LegacySeen] = {}
    guids: dict[str, str] = {}


def _seen_row(art_id: str, s: Seen) -> tuple[str, str, str, int, float, str, float]:
    return (art_id, s.feed, s.content_hash, s.version, s.last_seen, s.title_key, s.gone_at)


class StateStore:
    """Loads :class:`PollerState` once and writes what changed since (:meth:`save`).

    ``load`` returns the same in-memory state to every caller of one store: the database is read
    once per process, not once per pass.
    """

    def __init__(
        self,
        directory: str | Path,
        max_seen: int | None = None,
        save_every_s: float = 0.0,
        seen_grace_s: float = 7 * 86400.0,
    ) -> None:
        self.dir = Path(directory)
        # No count limit any more (the seen set follows the feeds); the argument stays accepted.
        del max_seen
        self.save_every_s = save_every_s
        self.seen_grace_s = seen_grace_s
        self.prune_every_s = 300.0
        self._last_save = 0.0
        self._last_prune = 0.0
        self.saves = 0
        self.migrated_from: Path | None = None
        self._db: sqlite3.Connection | None = None
        self._state: PollerState | None = None
        # The ownership coordinator's callbacks write from the poller's thread, a status reader
        # may share the store: one lock around the connection.
        self.lock = threading.RLock()

    @property
    def path(self) -> Path:
        return self.dir / DB_NAME

    @property
    def legacy_path(self) -> Path:
        return self.dir / LEGACY_NAME

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.dir.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a commit survives a crash of the process (not of the machine) without
            # an fsync per commit; the WAL is synced at each checkpoint.
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA busy_timeout=10000")
            # The log is reused after each checkpoint; this cuts it back when one commit grew it.
            db.execute("PRAGMA journal_size_limit=8388608")
            db.executescript(_SCHEMA)
            self._db = db
            self._migrate(db)
        return self._db

    def _migrate(self, db: sqlite3.Connection) -> None:
        """Move a JSON state file into the database once; the file is kept as ``.bak``."""
        legacy = self.legacy_path
        if not legacy.exists():
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            done = db.execute("SELECT value FROM meta WHERE key='json_migrated'").fetchone()
            if done is None:
                old = msgspec.json.decode(legacy.read_bytes(), type=_Legacy)
                state = PollerState(
                    # The JSON never said which feed carries which article: dropping validators
                    # and body hash makes the next poll of each feed parse it in full, which
                    # records what it carries (its articles are recognised as seen).
                    feeds={
                        u: replace(fs, etag=None, last_modified=None, body_hash=None)
                        for u, fs in old.feeds.items()
                    },
                    seen={
                        i: Seen(s.content_hash, s.version, s.last_seen, s.title_key)
                        for i, s in old.seen.items()
                    },
                    guids=dict(old.guids),
                )
                self._write(db, state)
                db.execute("INSERT INTO meta VALUES ('json_migrated', ?)", (str(time.time()),))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        bak = legacy.with_name(LEGACY_NAME + ".bak")
        os.replace(legacy, bak)
        self.migrated_from = bak

    def load(self) -> PollerState:
        with self.lock:
            if self._state is not None:
                return self._state
            if not self.path.exists() and not self.legacy_path.exists():
                self._state = PollerState(tracked=True)  # nothing is created until a save
                return self._state
            db = self._conn()
            state = PollerState(tracked=True)
            for url, blob, items in db.execute("SELECT url, state, items FROM feeds"):
                state.feeds[url] = _FEED_DEC.decode(blob)
                if items is not None:
                    state.items[url] = _IDS_DEC.decode(items)
            for aid, feed, h, version, last_seen, tkey, gone in db.execute("SELECT * FROM seen"):
                state.seen[aid] = Seen(h, version, last_seen, tkey, feed, gone)
            state.guids = dict(db.execute("SELECT guid, id FROM guids").fetchall())
            self._state = state
            return state

    def maybe_save(self, state: PollerState) -> PollerState | None:
        """Save unless the last save was less than ``save_every_s`` ago (0 = always); returns
        what :meth:`save` returned, or None when skipped."""
        if self.save_every_s and time.monotonic() - self._last_save < self.save_every_s:
            return None
        return self.save(state)

    def save(self, state: PollerState) -> PollerState:
        """Write what changed in ``state`` since it was loaded or saved (all of it when it was
        built by hand), in one transaction; returns ``state``."""
        with self.lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                self._write(db, state)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            state.dirty_feeds.clear()
            state.dirty_seen.clear()
            state.dirty_guids.clear()
            state.tracked = True
            self._state = state
        self._last_save = time.monotonic()
        self.saves += 1
        return state

    def _write(self, db: sqlite3.Connection, state: PollerState) -> None:
        feeds: Iterable[str] = state.dirty_feeds if state.tracked else state.feeds
        seen: Iterable[str] = state.dirty_seen if state.tracked else state.seen
        guids: Iterable[str] = state.dirty_guids if state.tracked else state.guids
        _upsert(
            db,
            "feeds",
            [
                (u, _FEED_ENC.encode(state.feeds[u]), _ids_blob(state.items.get(u)))
                for u in feeds
                if u in state.feeds
            ],
        )
        _upsert(db, "seen", [_seen_row(i, state.seen[i]) for i in seen if i in state.seen])
        _upsert(db, "guids", [(g, state.guids[g]) for g in guids if g in state.guids])

    def prune(self, state: PollerState, feed_urls: Iterable[str], now: float | None = None) -> int:
        """Forget the articles none of ``feed_urls`` carried for ``seen_grace_s``; returns how
        many were forgotten.

        An article leaves the seen set only after two prunes (at most every ``prune_every_s``,
        the first marks it gone) and the grace period: one that a feed drops and brings back
        soon after is still known. Feeds never parsed since the migration carry nothing yet.
        """
        now = time.time() if now is None else now
        with self.lock:
            carried: set[str] = set()
            for url in feed_urls:
                carried.update(state.items.get(url, ()))
            cutoff = now - self.seen_grace_s
            drop: list[str] = []
            for aid, s in state.seen.items():
                if aid in carried:
                    if s.gone_at:
                        s.gone_at = 0.0
                        state.dirty_seen.add(aid)
                elif not s.gone_at:
                    s.gone_at = now
                    state.dirty_seen.add(aid)
                elif s.gone_at <= cutoff:
                    drop.append(aid)
            dropped = set(drop)
            old_guids = [g for g, i in state.guids.items() if i in dropped]
            for aid in drop:
                del state.seen[aid]
                state.dirty_seen.discard(aid)
            for g in old_guids:
                del state.guids[g]
                state.dirty_guids.discard(g)
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany("DELETE FROM seen WHERE id = ?", [(i,) for i in drop])
                db.executemany("DELETE FROM guids WHERE guid = ?", [(g,) for g in old_guids])
                self._write(db, _only_seen(state))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            state.dirty_seen.clear()
            self._last_prune = time.monotonic()
            return len(drop)

    def maybe_prune(self, state: PollerState, feed_urls: Iterable[str]) -> int:
        if time.monotonic() - self._last_prune < self.prune_every_s and self._last_prune:
            return 0
        return self.prune(state, feed_urls)

    def seen_of_feed(self, url: str) -> list[str]:
        """Ids of the saved articles ``url`` published last (also those it no longer carries)."""
        with self.lock:
            rows = self._conn().execute("SELECT id FROM seen WHERE feed = ?", (url,))
            return [r[0] for r in rows]

    def guids_of(self, ids: Iterable[str]) -> dict[str, str]:
        """The saved GUID keys naming any of ``ids`` (guid -> id)."""
        ids = list(ids)
        out: dict[str, str] = {}
        with self.lock:
            db = self._conn()
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                marks = ",".join("?" * len(chunk))
                q = f"SELECT guid, id FROM guids WHERE id IN ({marks})"
                out.update(db.execute(q, chunk).fetchall())
        return out

    def close(self) -> None:
        with self.lock:
            if self._db is not None:
                self._db.close()
                self._db = None


FileStateStore = StateStore
"""The name the store had as a JSON file; kept for callers and scripts that use it."""


def _only_seen(state: PollerState) -> PollerState:
    """A view of ``state`` whose only dirty entries are its seen ones (for the prune's write)."""
    return PollerState(
        feeds=state.feeds,
        seen=state.seen,
        guids=state.guids,
        dirty_seen=state.dirty_seen,
        tracked=True,
    )


_ROWS_PER_STATEMENT = 500


def _upsert(db: sqlite3.Connection, table: str, rows: list[tuple[Any, ...]]) -> None:
    """``INSERT OR REPLACE`` of many rows, 500 to a statement: ``sqlite3`` releases the GIL
    around every statement step, and a step per row made the poller's thread wait for the GIL
    (held by the parsing threads) thousands of times per save."""
    if not rows:
        return
    marks = "(" + ",".join("?" * len(rows[0])) + ")"
    for i in range(0, len(rows), _ROWS_PER_STATEMENT):
        chunk = rows[i : i + _ROWS_PER_STATEMENT]
        sql = f"INSERT OR REPLACE INTO {table} VALUES " + ",".join([marks] * len(chunk))
        db.execute(sql, [v for row in chunk for v in row])


def _ids_blob(ids: list[str] | None) -> bytes | None:
    return None if ids is None else _FEED_ENC.encode(ids)
