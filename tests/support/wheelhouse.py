"""The machine's one wheelhouse, ``<cache dir>/wheelhouse`` (``~/.cache/diplowire/wheelhouse``
unless DIPLOWIRE_CACHE_DIR or XDG_CACHE_HOME say otherwise): the Makefile installs the checkout's
venv from it, the image build is given it as the build context ``wheels`` (tests/deploy), and the
wheel test installs from it (tests/packaging/test_wheel.py). Each install downloads only what it
lacks, so a wheel crosses the network once per machine, not once per install.
"""

from __future__ import annotations

from pathlib import Path

from diplowire.devstack.config import StackConfig


def wheelhouse() -> Path:
    # The same place as the Makefile's WHEELHOUSE: the stack's cache dir, resolved the same way.
    path = StackConfig.from_env().cache_dir / "wheelhouse"
    path.mkdir(parents=True, exist_ok=True)
    return path
