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

What is in memory: the feeds' :class:`FeedState` only. The seen set, the GUIDs and what each
feed carries stay in the database (ingest.statetable): the poller reads one feed's rows in one
query while it handles that feed (:meth:`PollerState.prefetch`), so memory does not grow with the
seen set (it took 1.1 GB at 20,000 feeds when it was loaded whole).

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
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from diplowire.ingest.statesql import KEYS_PER_QUERY
from diplowire.ingest.statesql import SCHEMA as _SCHEMA
from diplowire.ingest.statesql import chunks as _chunks
from diplowire.ingest.statesql import delete as _delete
from diplowire.ingest.statesql import upsert as _upsert
from diplowire.ingest.statetable import Kind, Table


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


def _seen_table() -> Table[Seen]:
    return Table(Kind.SEEN)


def _guids_table() -> Table[str]:
    return Table(Kind.GUIDS)


def _items_table() -> Table[list[str]]:
    return Table(Kind.ITEMS)


@dataclass
class PollerState:
    feeds: dict[str, FeedState] = field(default_factory=dict)
    seen: Table[Seen] = field(default_factory=_seen_table)
    """article id -> what was last published for it."""
    guids: Table[str] = field(default_factory=_guids_table)
    """feed GUID key -> article id, so a GUID seen under another URL is recognised."""
    items: Table[list[str]] = field(default_factory=_items_table)
    """feed URL -> the article ids its last fully acknowledged document carried."""
    dirty_feeds: set[str] = field(default_factory=set)
    tracked: bool = False
    """True once loaded from or saved to a store: only the dirty feeds are written then. A
    state built by hand is written whole (its tables hold only unsaved rows anyway)."""

    def set_feed(self, url: str, fs: FeedState) -> None:
        self.feeds[url] = fs
        self.dirty_feeds.add(url)

    def set_seen(self, art_id: str, seen: Seen, guid_key: str | None) -> None:
        self.seen[art_id] = seen
        if guid_key:
            self.guids[guid_key] = art_id

    def set_items(self, url: str, ids: list[str]) -> None:
        self.items[url] = ids
        self.dirty_feeds.add(url)

    def prefetch(self, ids: Iterable[str], guid_keys: Iterable[str]) -> None:
        """Read the seen rows of ``ids`` and the GUIDs of ``guid_keys`` (with the seen rows of
        the articles they name) in one query per 400 keys, for the feed about to be handled;
        :meth:`release` drops them. Without a store (a state built by hand) nothing is read."""
        src = self.seen.source
        if not isinstance(src, StateStore):
            return
        ids, keys = list(dict.fromkeys(ids)), list(dict.fromkeys(guid_keys))
        seen, guids = src.fetch_feed_rows(ids, keys)
        self.guids.prefetch(guids, keys)
        self.seen.prefetch(seen, [*ids, *guids.values()])

    def release(self) -> None:
        self.seen.release()
        self.guids.release()


DB_NAME = "poller-state.sqlite"
LEGACY_NAME = "poller-state.json"
_FEED_ENC = msgspec.json.Encoder()
_FEED_DEC = msgspec.json.Decoder(FeedState)
_IDS_DEC = msgspec.json.Decoder(list[str])


_SEEN_COLS = "id, feed, hash, version, last_seen, title_key, gone_at"
_SeenRow = tuple[str, str, str, int, float, str, float]
_ROWS_DEC = msgspec.json.Decoder(list[_SeenRow])
_PAIRS_DEC = msgspec.json.Decoder(list[tuple[str, str]])


def _seen_row(art_id: str, s: Seen) -> _SeenRow:
    return (art_id, s.feed, s.content_hash, s.version, s.last_seen, s.title_key, s.gone_at)


def _seen_of(row: _SeenRow) -> Seen:
    _, feed, h, version, last_seen, tkey, gone = row
    return Seen(h, version, last_seen, tkey, feed, gone)


class StateStore:
    """Loads :class:`PollerState` once and writes what changed since (:meth:`save`).

    ``load`` returns the same in-memory state to every caller of one store: the database is read
    once per process, not once per pass. Only the feeds' states are read then; the other tables
    are read as needed (ingest.statetable).
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
        # The ownership coordinator's callbacks write from the poller's thread, worker threads
        # read seen rows of full-text feeds, a status reader may share the store: one lock
        # around the connection.
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
                from diplowire.ingest.statelegacy import read_legacy  # (imports this module)

                state = read_legacy(legacy)
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
            state = PollerState(tracked=True)
            if self.path.exists() or self.legacy_path.exists():
                # (Otherwise nothing is created until a save.)
                db = self._conn()
                for url, blob in db.execute("SELECT url, state FROM feeds"):
                    state.feeds[url] = _FEED_DEC.decode(blob)
                for table in (state.seen, state.guids, state.items):
                    table.saved(self)
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
            # Only now, the rows in the database: a reader finds each row in one or the other.
            state.dirty_feeds.clear()
            for table in (state.seen, state.guids, state.items):
                table.saved(self)
            state.tracked = True
            self._state = state
        self._last_save = time.monotonic()
        self.saves += 1
        return state

    def _write(self, db: sqlite3.Connection, state: PollerState) -> None:
        feeds: Iterable[str] = state.dirty_feeds if state.tracked else state.feeds
        # A feed's state and what it carries are written apart: a feed whose state changed
        # (most polls) keeps its items row as it is, without reading it first.
        _upsert(
            db,
            "feeds(url, state, items)",
            [(u, _FEED_ENC.encode(state.feeds[u]), None) for u in feeds if u in state.feeds],
            "ON CONFLICT(url) DO UPDATE SET state = excluded.state",
        )
        items = [
            (u, _FEED_ENC.encode(state.feeds.get(u) or FeedState(url=u)), _FEED_ENC.encode(ids))
            for u, ids in state.items.pending.items()
        ]
        _upsert(
            db,
            "feeds(url, state, items)",
            items,
            "ON CONFLICT(url) DO UPDATE SET items = excluded.items",
        )
        _delete(db, "UPDATE feeds SET items = NULL WHERE url IN", state.items.removed)
        _upsert(
            db,
            "seen",
            [_seen_row(i, s) for i, s in state.seen.pending.items()],
            "ON CONFLICT(id) DO UPDATE SET feed = excluded.feed, hash = excluded.hash, "
            "version = excluded.version, last_seen = excluded.last_seen, "
            "title_key = excluded.title_key, gone_at = excluded.gone_at",
        )
        _delete(db, "DELETE FROM seen WHERE id IN", state.seen.removed)
        _upsert(
            db,
            "guids",
            list(state.guids.pending.items()),
            "ON CONFLICT(guid) DO UPDATE SET id = excluded.id",
        )
        _delete(db, "DELETE FROM guids WHERE guid IN", state.guids.removed)

    # -- reads for the tables (ingest.statetable.Source) -------------------------------------

    def fetch(self, kind: Kind, keys: list[str]) -> dict[str, object]:
        out: dict[str, object] = {}
        with self.lock:
            db = self._conn()
            for chunk in _chunks(keys):
                marks = ",".join("?" * len(chunk))
                if kind is Kind.SEEN:
                    q = (
                        f"SELECT json_group_array(json_array({_SEEN_COLS})) FROM seen "
                        f"WHERE id IN ({marks})"
                    )
                    rows = _ROWS_DEC.decode(db.execute(q, chunk).fetchone()[0])
                    out.update((r[0], _seen_of(r)) for r in rows)
                elif kind is Kind.GUIDS:
                    q = (
                        "SELECT json_group_array(json_array(guid, id)) FROM guids "
                        f"WHERE guid IN ({marks})"
                    )
                    out.update(_PAIRS_DEC.decode(db.execute(q, chunk).fetchone()[0]))
                else:
                    q = f"SELECT url, items FROM feeds WHERE items IS NOT NULL AND url IN ({marks})"
                    out.update((u, _IDS_DEC.decode(b)) for u, b in db.execute(q, chunk))
        return out

    def keys_of(self, kind: Kind) -> list[str]:
        q = {
            Kind.SEEN: "SELECT id FROM seen",
            Kind.GUIDS: "SELECT guid FROM guids",
            Kind.ITEMS: "SELECT url FROM feeds WHERE items IS NOT NULL",
        }[kind]
        with self.lock:
            return [r[0] for r in self._conn().execute(q)]

    def fetch_feed_rows(
        self, ids: list[str], guid_keys: list[str]
    ) -> tuple[dict[str, Seen], dict[str, str]]:
        """The seen rows of ``ids`` and of the articles ``guid_keys`` name, and those GUIDs:
        one statement per 400 keys, returning one row (``sqlite3`` gives the GIL up at every
        row, and the poller's thread then waits behind the parsing threads)."""
        seen: dict[str, Seen] = {}
        guids: dict[str, str] = {}
        n = max(len(ids), len(guid_keys))
        with self.lock:
            db = self._conn()
            for i in range(0, n, KEYS_PER_QUERY):
                a = ids[i : i + KEYS_PER_QUERY]
                g = guid_keys[i : i + KEYS_PER_QUERY]
                am, gm = ",".join("?" * len(a)), ",".join("?" * len(g))
                q = (
                    f"SELECT (SELECT json_group_array(json_array(guid, id)) FROM guids "
                    f"WHERE guid IN ({gm})), (SELECT json_group_array(json_array({_SEEN_COLS})) "
                    f"FROM seen WHERE id IN ({am}) OR id IN "
                    f"(SELECT id FROM guids WHERE guid IN ({gm})))"
                )
                pairs, rows = db.execute(q, [*g, *a, *g]).fetchone()
                guids.update(_PAIRS_DEC.decode(pairs))
                seen.update((r[0], _seen_of(r)) for r in _ROWS_DEC.decode(rows))
        return seen, guids

    # -- the seen set's bound ----------------------------------------------------------------

    def prune(self, state: PollerState, feed_urls: Iterable[str], now: float | None = None) -> int:
        """Forget the articles none of ``feed_urls`` carried for ``seen_grace_s``; returns how
        many were forgotten.

        An article leaves the seen set only after two prunes (at most every ``prune_every_s``,
        the first marks it gone) and the grace period: one that a feed drops and brings back
        soon after is still known. Feeds never parsed since the migration carry nothing yet.
        Done in SQL, on the saved state: the seen set is not read into memory.
        """
        now = time.time() if now is None else now
        with self.lock:
            self.save(state)  # what is pending first: the prune works on the database
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                for t in ("listed(url", "carried(id", "dropped(id"):
                    db.execute(
                        f"CREATE TEMP TABLE IF NOT EXISTS {t} TEXT PRIMARY KEY) WITHOUT ROWID"
                    )
                    db.execute(f"DELETE FROM temp.{t.split('(')[0]}")
                _upsert(db, "temp.listed", [(u,) for u in feed_urls], "ON CONFLICT DO NOTHING")
                db.execute(
                    "INSERT OR IGNORE INTO temp.carried SELECT j.value FROM feeds "
                    "JOIN temp.listed USING (url), json_each(CAST(feeds.items AS TEXT)) j "
                    "WHERE feeds.items IS NOT NULL"
                )
                # Marked gone by an earlier prune, past the grace, and still not carried.
                db.execute(
                    "INSERT INTO temp.dropped SELECT id FROM seen WHERE gone_at != 0 "
                    "AND gone_at <= ? AND id NOT IN temp.carried",
                    (now - self.seen_grace_s,),
                )
                db.execute("DELETE FROM guids WHERE id IN temp.dropped")
                dropped = db.execute("DELETE FROM seen WHERE id IN temp.dropped").rowcount
                db.execute(
                    "UPDATE seen SET gone_at = ? WHERE gone_at = 0 AND id NOT IN temp.carried",
                    (now,),
                )
                db.execute("UPDATE seen SET gone_at = 0 WHERE gone_at != 0 AND id IN temp.carried")
                for t in ("listed", "carried", "dropped"):
                    db.execute(f"DELETE FROM temp.{t}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            self._last_prune = time.monotonic()
            return int(dropped)

    def maybe_prune(self, state: PollerState, feed_urls: Iterable[str]) -> int:
        if time.monotonic() - self._last_prune < self.prune_every_s and self._last_prune:
            return 0
        return self.prune(state, feed_urls)

    def seen_of_feed(self, url: str) -> list[str]:
        """Ids of the saved articles ``url`` published last (also those it no longer carries)."""
        return self.seen_of_feeds([url]).get(url, [])

    def seen_of_feeds(self, urls: Iterable[str]) -> dict[str, list[str]]:
        """:meth:`seen_of_feed` of many feeds, in one query per 400 (the owners' records)."""
        out: dict[str, list[str]] = {}
        with self.lock:
            db = self._conn()
            for chunk in _chunks(list(urls)):
                q = f"SELECT feed, id FROM seen WHERE feed IN ({','.join('?' * len(chunk))})"
                for feed, aid in db.execute(q, chunk):
                    out.setdefault(feed, []).append(aid)
        return out

    def guids_of(self, ids: Iterable[str]) -> dict[str, str]:
        """The saved GUID keys naming any of ``ids`` (guid -> id)."""
        ids = list(ids)
        out: dict[str, str] = {}
        with self.lock:
            db = self._conn()
            for chunk in _chunks(ids):
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
