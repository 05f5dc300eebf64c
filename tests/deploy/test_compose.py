"""The compose files: the services, their start order (depends_on conditions), health checks
and volumes; the override builds Kafka and Elasticsearch locally and leaves Kibana out."""

from __future__ import annotations

import re
from pathlib import Path

from . import manifests as m

EXPECTED_DEPENDS = {
    "kibana": {"elasticsearch": "service_healthy"},
    "topics": {"kafka": "service_healthy"},
    "poll": {"topics": "service_completed_successfully"},
    "enrich": {"topics": "service_completed_successfully"},
    "index": {
        "topics": "service_completed_successfully",
        "elasticsearch": "service_healthy",
    },
    "kibana-import": {"kibana": "service_healthy"},
}


def test_services_and_start_order() -> None:
    services = m.compose("compose.yaml")["services"]
    assert set(services) == {"kafka", "elasticsearch", "kibana", *EXPECTED_DEPENDS}
    got = {
        name: {dep: cond["condition"] for dep, cond in svc["depends_on"].items()}
        for name, svc in services.items()
        if "depends_on" in svc
    }
    assert got == EXPECTED_DEPENDS
    # Every condition waits on something that can become healthy or complete.
    for deps in got.values():
        for dep, cond in deps.items():
            if cond == "service_healthy":
                assert "healthcheck" in services[dep], dep
            else:
                assert services[dep].get("restart") == "no", dep


def test_official_images_of_one_major_and_named_volumes() -> None:
    doc = m.compose("compose.yaml")
    services = doc["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    es = services["elasticsearch"]["image"].rsplit(":", 1)[1]
    kibana = services["kibana"]["image"].rsplit(":", 1)[1]
    assert es == kibana and es.startswith("8.19.")
    assert services["elasticsearch"]["environment"]["discovery.type"] == "single-node"
    for name, svc in services.items():
        for vol in svc.get("volumes", []):
            source = vol.split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in doc["volumes"], (name, source)
    assert services["enrich"]["deploy"]["replicas"] >= 1
    # The workers build one image from the repository's Containerfile.
    for _, argv, _ in m.compose_commands(services):
        assert m.subcommand(argv) in {"topics", "poll", "enrich", "index", "kibana"}
    builds = {
        (s["build"]["context"], s["build"]["dockerfile"]) for s in services.values() if "build" in s
    }
    assert builds == {("..", "deploy/Containerfile")}


def test_local_override_builds_kafka_and_elasticsearch_and_leaves_kibana_out() -> None:
    override = m.load_yaml(m.DEPLOY / "compose.local.yaml")["services"]
    base = m.compose("compose.yaml")["services"]
    assert set(override) <= set(base)
    merged = m.compose("compose.yaml", "compose.local.yaml")["services"]
    for name in ("kafka", "elasticsearch"):
        build = merged[name]["build"]
        assert (m.DEPLOY / build["context"] / build["dockerfile"]).is_file(), name
        assert merged[name]["image"].startswith("localhost/")
    for name in ("kibana", "kibana-import"):
        assert merged[name]["profiles"] == ["kibana"], name
    # The workers use the same local base image as Kafka and Elasticsearch.
    workers = [n for n, svc in merged.items() if svc.get("image", "").startswith(m.IMAGE + ":")]
    for name in set(workers) - {"kibana-import"}:
        assert merged[name]["build"]["args"]["BASE"] == "localhost/debian:bookworm", name
    assert merged["kafka"]["build"]["args"]["BASE"] == "localhost/debian:bookworm"


COPY = re.compile(r"^COPY\s+(?!--from)(?:--\S+\s+)*(.+?)\s+\S+\s*$", re.M)


def _copy_sources(containerfile: Path) -> list[str]:
    text = containerfile.read_text(encoding="utf-8").replace("\\\n", " ")
    return [src for line in COPY.findall(text) for src in line.split()]


def test_every_file_the_containerfiles_copy_exists_in_their_context() -> None:
    contexts = {
        m.DEPLOY / "Containerfile": m.ROOT,
        m.DEPLOY / "local/images/kafka/Containerfile": m.DEPLOY / "local",
        m.DEPLOY / "local/images/elasticsearch/Containerfile": m.DEPLOY / "local",
    }
    for containerfile, context in contexts.items():
        sources = _copy_sources(containerfile)
        assert sources, containerfile
        for src in sources:
            assert (context / src).exists(), f"{containerfile}: COPY {src}"
    # The root context's ignore file lets through what the image copies.
    allowed = [
        line[1:]
        for line in (m.ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.startswith("!")
    ]
    for src in _copy_sources(m.DEPLOY / "Containerfile"):
        assert src in allowed, f".dockerignore excludes {src}"


def test_image_is_non_root_with_the_diplowire_entrypoint() -> None:
    text = (m.DEPLOY / "Containerfile").read_text(encoding="utf-8")
    final = text.rsplit("\nFROM ", 1)[1]
    assert re.search(r"^USER (?!0\b|root\b)\S+", final, re.M)
    assert 'ENTRYPOINT ["diplowire"]' in final
    assert re.search(r"^ARG BASE=python:3\.11-slim-bookworm$", text, re.M)
    assert text.count("FROM ") >= 3  # multi-stage
