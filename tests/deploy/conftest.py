"""The deployment suite's shared fixture: podman set up and the image built once per session.

The image is built from the working tree with cached layers (about a minute after a source
change, ~5 min cold, README "Deploy"); a failed set-up or build fails the tests that need it.
"""

from __future__ import annotations

import pytest

from tests.support import podman as pm


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "deploy: builds and runs the container image with podman (tests/deploy)"
    )


@pytest.fixture(scope="session")
def image() -> pm.Build:
    pm.setup()
    stale = pm.remove_stale()
    if stale:
        print(f"removed containers left by killed deployment test runs: {stale}")
    return pm.build_image()
