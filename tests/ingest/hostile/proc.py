"""The corpus runner as a child process, shared by the feed cases and the stage cases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]  # the checkout, for the runner's imports


@contextmanager
def corpus_runner() -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    """``python -m tests.ingest.hostile.runner``, started and ready for JSON jobs on stdin, with
    its ready line (the runner's baseline memory after imports)."""
    # MALLOC_ARENA_MAX: glibc reads it at start-up; 2 arenas keep the poller's threads from
    # reserving (and touching) one malloc arena each, as a production deployment would too.
    env = {**os.environ, "MALLOC_ARENA_MAX": "2", "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
        [sys.executable, "-m", "tests.ingest.hostile.runner"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env=env,
        text=True,
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        ready = json.loads(proc.stdout.readline() or "{}")
        assert ready.get("ready"), "the corpus runner did not start"
        yield proc, ready
