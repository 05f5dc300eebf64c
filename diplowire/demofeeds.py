"""Where ``diplowire run`` (``make demo``) left its feeds, so that ``diplowire feeds status`` run
bare afterwards shows them.

The demo serves the bundled feeds from a loopback server on a new port each run, and keeps the
poller's state beside the local stack's data: neither is where ``feeds status`` looks by default
(``deploy/feeds.yaml``, ``.state/poller``). So ``run`` writes a small record into the stack's
directory (:data:`RECORD`), and ``feeds``, when no feed list is configured (no ``--feeds``,
``DIPLOWIRE_FEEDS`` or ``feeds`` in the settings file) and the default list does not exist, reads
the feed list, the base URL its relative URLs were resolved against, and the state from it.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

RECORD = "demo-feeds.json"


@dataclass(frozen=True, slots=True)
class DemoFeeds:
    feeds: str
    """The feed list the last ``diplowire run`` polled."""
    base_url: str | None
    """What its relative URLs were resolved against (the run's loopback server)."""
    state_dir: str
    """Its poller state."""


def record_path() -> Path:
    from diplowire.devstack.config import StackConfig

    return StackConfig.from_env().stack_dir / RECORD


def write(demo: DemoFeeds, path: Path | None = None) -> None:
    path = path or record_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(demo)), encoding="utf-8")
    os.replace(tmp, path)  # a reader never sees half a record


def read(path: Path | None = None) -> DemoFeeds | None:
    """The last run's record, or None if there was none (or it cannot be read: then the default
    list's own error is the one to show)."""
    path = path or record_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return DemoFeeds(str(data["feeds"]), data.get("base_url"), str(data["state_dir"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
