"""Poller state in one local file: no database server to run, survives restarts.

Why a file and not a compacted topic: the poller must be able to decide what is new even while
Kafka is down (it then publishes nothing and keeps its state), and a single JSON document,
replaced atomically (write a temporary file, fsync, rename), is easy to inspect and back up and is
never seen half-written. Only state for articles Kafka acknowledged is ever written: the poller
changes the in-memory state for an article only after its send was acknowledged.

A :class:`FeedState` is frozen: the poller replaces it with ``ingest.transitions.next_state``'s
result, so no helper edits a feed's state that another one holds.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

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


@dataclass
class Seen:
    content_hash: str
    version: int
    last_seen: float
    title_key: str = ""
    """Hash of the title's words: a GUID seen under another URL is this article again only if
    the title (or the whole content) matches (ingest.identity)."""


@dataclass
class PollerState:
    feeds: dict[str, FeedState] = field(default_factory=dict)
    seen: dict[str, Seen] = field(default_factory=dict)
    """article id -> what was last published for it."""
    guids: dict[str, str] = field(default_factory=dict)
    """feed GUID key -> article id, so a GUID seen under another URL is recognised."""


class FileStateStore:
    """Loads and atomically saves :class:`PollerState`; ``maybe_save`` throttles saves."""

    def __init__(
        self, directory: str | Path, max_seen: int = 200_000, save_every_s: float = 0.0
    ) -> None:
        self.dir = Path(directory)
        self.max_seen = max_seen
        self.save_every_s = save_every_s
        self._last_save = 0.0
        self.saves = 0

    @property
    def path(self) -> Path:
        return self.dir / "poller-state.json"

    def load(self) -> PollerState:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return PollerState()
        # Unknown keys are ignored and missing ones take defaults, so old files still load.
        return msgspec.json.decode(data, type=PollerState)

    def maybe_save(self, state: PollerState) -> PollerState | None:
        """Save unless the last save was less than ``save_every_s`` ago (0 = always); returns
        what :meth:`save` returned, or None when skipped."""
        if self.save_every_s and time.monotonic() - self._last_save < self.save_every_s:
            return None
        return self.save(state)

    def save(self, state: PollerState) -> PollerState:
        """Write ``state``, its seen-set cut to the ``max_seen`` most recently seen articles.

        ``state`` itself is not changed: the state written is returned (``state`` itself when
        nothing was cut), for a caller that wants to hold no more than was kept.
        """
        state = pruned(state, self.max_seen)
        data = msgspec.json.encode(state)
        self.dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".state-", suffix=".json")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._last_save = time.monotonic()
        self.saves += 1
        return state


def pruned(state: PollerState, max_seen: int) -> PollerState:
    """``state`` with only its ``max_seen`` most recently seen articles (and their GUIDs): a new
    state with a copy of the feeds, or ``state`` itself when it holds no more."""
    if len(state.seen) <= max_seen:
        return state
    seen = dict(sorted(state.seen.items(), key=lambda kv: kv[1].last_seen)[-max_seen:])
    guids = {g: i for g, i in state.guids.items() if i in seen}
    return PollerState(feeds=dict(state.feeds), seen=seen, guids=guids)
