"""The JSON state file the poller wrote before the SQLite store, read once to move it over
(``StateStore._migrate``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import msgspec

from diplowire.ingest.state import FeedState, PollerState, Seen
from diplowire.ingest.statetable import Kind, Table


class _LegacySeen(msgspec.Struct):
    content_hash: str
    version: int
    last_seen: float
    title_key: str = ""


class _Legacy(msgspec.Struct):
    """One document, rewritten whole at every save."""

    feeds: dict[str, FeedState] = {}
    seen: dict[str, _LegacySeen] = {}
    guids: dict[str, str] = {}


def read_legacy(path: Path) -> PollerState:
    """The JSON state as a state built by hand (all of it written by the next save)."""
    old = msgspec.json.decode(path.read_bytes(), type=_Legacy)
    return PollerState(
        # The JSON never said which feed carries which article: dropping validators and body
        # hash makes the next poll of each feed parse it in full, which records what it
        # carries (its articles are recognised as seen).
        feeds={
            u: replace(fs, etag=None, last_modified=None, body_hash=None)
            for u, fs in old.feeds.items()
        },
        seen=Table(
            Kind.SEEN,
            {
                i: Seen(s.content_hash, s.version, s.last_seen, s.title_key)
                for i, s in old.seen.items()
            },
        ),
        guids=Table(Kind.GUIDS, dict(old.guids)),
    )
