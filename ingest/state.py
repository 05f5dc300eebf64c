"""Poller state in local files: no database server to run, survives restarts.

Why files and not a compacted topic: the poller must be able to decide what is new even while
Kafka is down (it then publishes nothing and keeps its state), and a single JSON file per kind,
replaced atomically, is easy to inspect and back up. Only state for articles Kafka acknowledged
is ever written.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
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


@dataclass
class Seen:
    content_hash: str
    version: int
    last_seen: float


@dataclass
class PollerState:
    feeds: dict[str, FeedState] = field(default_factory=dict)
    seen: dict[str, Seen] = field(default_factory=dict)
    """article id -> what was last published for it."""
    guids: dict[str, str] = field(default_factory=dict)
    """feed GUID -> article id, so a GUID seen under another URL is recognised."""


class FileStateStore:
    def __init__(self, directory: str | Path, max_seen: int = 200_000) -> None:
        self.dir = Path(directory)
        self.max_seen = max_seen

    @property
    def path(self) -> Path:
        return self.dir / "poller-state.json"

    def load(self) -> PollerState:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return PollerState()
        return PollerState(
            feeds={k: FeedState(**v) for k, v in doc.get("feeds", {}).items()},
            seen={k: Seen(**v) for k, v in doc.get("seen", {}).items()},
            guids=dict(doc.get("guids", {})),
        )

    def save(self, state: PollerState) -> None:
        if len(state.seen) > self.max_seen:
            keep = sorted(state.seen.items(), key=lambda kv: kv[1].last_seen)[-self.max_seen :]
            state.seen = dict(keep)
            live = set(state.seen)
            state.guids = {g: i for g, i in state.guids.items() if i in live}
        doc: dict[str, Any] = {
            "feeds": {k: asdict(v) for k, v in state.feeds.items()},
            "seen": {k: asdict(v) for k, v in state.seen.items()},
            "guids": state.guids,
        }
        self.dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".state-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
