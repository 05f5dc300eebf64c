"""The compose files as podman-compose (Debian's 1.0.3) reads them: each service becomes the
`podman run` expected, base file and the override of this machine (compose.yaml +
compose.local.yaml + compose.samples.yaml) alike. 1.0.3 has no ``config`` command; its
``--dry-run up`` prints the commands instead of running them (it still creates the volumes and
the network, removed after). Bringing the override up for real: test_compose_up.py.
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.support import podman as pm
from tests.support.kafkanode import free_port

from . import manifests as m

pytestmark = pytest.mark.deploy

FILES = ("compose.yaml", "compose.local.yaml", "compose.samples.yaml")
# What runs on this machine: Kibana has no source here (README "Deploy").
SERVICES = ("kafka", "elasticsearch", "topics", "feeds", "poll", "enrich", "index")


def _project(files: tuple[str, ...]) -> pm.ComposeProject:
    # Host ports of the test's own: the shared stack holds 9092/9093/9200.
    env = {
        "KAFKA_HOST_PORT": str(free_port()),
        "ES_HOST_PORT": str(free_port()),
        "KIBANA_HOST_PORT": str(free_port()),
    }
    return pm.ComposeProject(f"dw{uuid.uuid4().hex[:8]}", files, env)


def _dry_run_commands(project: pm.ComposeProject, *services: str) -> dict[str, str]:
    """service -> the `podman run` line podman-compose would run for it."""
    try:
        out = project.run("--dry-run", "up", "-d", "--no-build", *services, timeout=120)
    finally:
        project.remove_everything()  # a dry run still creates the volumes and the network
    runs: dict[str, str] = {}
    for line in out.splitlines():
        found = re.search(r"--label com\.docker\.compose\.service=(\S+)", line)
        if line.startswith("podman run ") and found:
            runs[found.group(1)] = line
    return runs


def test_podman_compose_accepts_the_base_file_every_service() -> None:
    runs = _dry_run_commands(_project(("compose.yaml",)))
    services = m.compose("compose.yaml")["services"]
    assert set(runs) == set(services)
    assert "docker.elastic.co/kibana/kibana:8.19." in runs["kibana"]
    # The worker health check (a string: run by the shell) reached podman for each worker.
    for name in ("poll", "enrich", "index"):
        assert "--healthcheck-command" in runs[name] and "9464/healthz" in runs[name], name
    assert re.search(r" localhost/diplowire:latest enrich --processes 1$", runs["enrich"])


def test_podman_compose_accepts_the_override_with_local_images_and_sample_feeds() -> None:
    project = _project(FILES)
    runs = _dry_run_commands(project, *SERVICES)
    assert set(runs) == set(SERVICES)
    assert runs["kafka"].endswith(" localhost/diplowire-kafka:4.1.1")
    assert runs["elasticsearch"].endswith(" localhost/diplowire-elasticsearch:8.19.21")
    assert f"-p 127.0.0.1:{project.env['ES_HOST_PORT']}:9200" in runs["elasticsearch"]
    assert "-e DIPLOWIRE_ALLOW_ADDRESSES=feeds" in runs["poll"]
    assert "feeds.samples.yaml:/etc/diplowire/feeds.samples.yaml:ro" in runs["poll"]


def test_the_compose_sample_feed_list_is_the_bundled_one() -> None:
    bundled = m.load_yaml(m.ROOT / "data" / "sample-feeds" / "feeds.yaml")["feeds"]
    served = m.load_yaml(m.DEPLOY / "feeds.samples.yaml")["feeds"]
    assert [{**f, "url": "http://feeds:8000/" + f["url"]} for f in bundled] == served
