"""The checkout's own Python files, for tests that read the source (import rules)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def python_files() -> list[str]:
    """Paths, relative to the checkout, of the ``.py`` files git tracks or would track (new and
    not ignored): what a commit would hold, not ``.venv`` or ``build``."""
    return subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "*.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
