"""The deployment suite's shared fixtures: podman set up and the images built once per session.

The worker image is built from the working tree with cached layers (about a minute after a
source change, ~3 min cold, README "Deploy"); the Kafka and Elasticsearch images of the override
compose (test_compose_up.py) are built beside it, in a thread: the builds wait on the network
and the disk as much as on the CPU, so together they take less than one after the other. A failed
set-up or build fails the tests that need it.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from diplowire.devstack import fetch
from diplowire.devstack.config import StackConfig
from tests.support import podman as pm
from tests.support.wheelhouse import wheelhouse

LOCAL_IMAGES = {
    "kafka": ("localhost/diplowire-kafka:4.1.1", "deploy/local/images/kafka/Containerfile"),
    "elasticsearch": (
        "localhost/diplowire-elasticsearch:8.19.21",
        "deploy/local/images/elasticsearch/Containerfile",
    ),
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "deploy: builds and runs the container image with podman (tests/deploy)"
    )


def _build_local_images() -> dict[str, pm.Build]:
    # Kafka's jars and Elasticsearch's zip as the local stack downloaded them (the same Maven
    # artifacts the images' maven stages fetch; a no-op once cached), given to the builds as
    # build contexts: a cold run downloads them once, not once more per image. One after the
    # other: the second reuses the first's Java layer.
    cfg = StackConfig.from_env()
    cfg.stack_dir.mkdir(parents=True, exist_ok=True)  # Maven's log goes there
    fetch.ensure_kafka_libs(cfg)
    fetch.ensure_es_zip(cfg)
    contexts = {"kafka": {"kafka-libs": cfg.kafka_libs}, "elasticsearch": {"es-zip": cfg.cache_dir}}
    return {
        name: pm.build_image(tag, containerfile, "deploy/local", contexts[name])
        for name, (tag, containerfile) in LOCAL_IMAGES.items()
    }


@dataclass(frozen=True)
class Builds:
    image: pm.Build
    local: Future[dict[str, pm.Build]] | None  # None: no test of this session needs them


@pytest.fixture(scope="session")
def builds(request: pytest.FixtureRequest) -> Iterator[Builds]:
    pm.setup()
    stale = pm.remove_stale()
    if stale:
        print(f"removed containers left by killed deployment test runs: {stale}")
    needs_local = any(item.path.name == "test_compose_up.py" for item in request.session.items)
    with ThreadPoolExecutor(max_workers=1) as pool:
        local = pool.submit(_build_local_images) if needs_local else None
        # The wheels the checkout's venv was installed from (Makefile): copied, not downloaded.
        yield Builds(pm.build_image(contexts={"wheels": wheelhouse()}), local)


@pytest.fixture(scope="session")
def image(builds: Builds) -> pm.Build:
    return builds.image


@pytest.fixture(scope="session")
def local_images(builds: Builds) -> dict[str, pm.Build]:
    assert builds.local is not None, "the session's test list has no test_compose_up.py"
    return builds.local.result()
