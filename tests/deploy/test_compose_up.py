"""The override compose brought up for real with podman-compose (Debian's 1.0.3): compose.yaml +
compose.local.yaml (Kafka and Elasticsearch built from the Maven artifacts of the local stack) +
compose.samples.yaml (the bundled sample feeds over HTTP), the topics one-shot, the poller, two
enrichers and the indexer, until every article the poller published is in that compose's own
Elasticsearch; then `down -v`.

podman-compose 1.0.3 ignores ``depends_on`` conditions, and podman runs health checks only when
asked (its timers need systemd). So the test starts the services in the order the conditions
describe, waiting on each with ``podman healthcheck run`` and ``podman wait``: the health checks
themselves are exercised. README "Deploy" gives the same steps for people.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator

import pytest

from tests.support import podman as pm
from tests.support import wait_for
from tests.support.kafkanode import free_port

from . import manifests as m

pytestmark = pytest.mark.deploy

FILES = ("compose.yaml", "compose.local.yaml", "compose.samples.yaml")


@pytest.fixture
def compose_up(local_images: dict[str, pm.Build]) -> Iterator[pm.ComposeProject]:
    # Host ports of the test's own: the shared stack holds 9092/9093/9200.
    ports = {name: str(free_port()) for name in ("KAFKA_HOST_PORT", "ES_HOST_PORT")}
    project = pm.ComposeProject(f"dw{uuid.uuid4().hex[:8]}", FILES, ports)
    try:
        yield project
    finally:
        project.remove_everything()


def _healthy(project: pm.ComposeProject, service: str, n: int = 1) -> bool:
    name = project.container(service, n)
    state = pm.inspect(name, "container")["State"]
    assert isinstance(state, dict)
    assert state.get("Running"), f"{name} is not running:\n{pm.Container(name).logs()}"
    return pm.podman("healthcheck", "run", name, timeout=60, check=False).returncode == 0


def _es(project: pm.ComposeProject, path: str, body: dict[str, object] | None = None) -> object:
    """GET (POST with a JSON body) on this compose's Elasticsearch, through its published port."""
    req = urllib.request.Request(
        f"http://127.0.0.1:{project.env['ES_HOST_PORT']}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


# Exit status of the probe below when nothing listens on the poller's metrics port yet.
NOT_LISTENING = 3


def _poll_metrics(project: pm.ComposeProject) -> str | None:
    """The poller's /metrics, read inside its container; None while its metrics server is not
    listening yet (it starts a few seconds after the container, more on a loaded machine)."""
    script = (
        "import sys, urllib.error, urllib.request as u\n"
        "try:\n"
        "    print(u.urlopen('http://127.0.0.1:9464/metrics', timeout=5).read().decode())\n"
        "except urllib.error.URLError as exc:\n"
        f"    sys.exit({NOT_LISTENING} if isinstance(exc.reason, ConnectionRefusedError) else 1)\n"
    )
    proc = pm.podman("exec", project.container("poll"), "python", "-c", script, check=False)
    if proc.returncode == NOT_LISTENING:
        return None
    assert proc.returncode == 0, f"reading the poller's /metrics: {proc.stderr[-2000:]}"
    return proc.stdout


def _poll_published(metrics: str) -> float:
    """The poller's diplowire_poll_articles_published_total."""
    found = re.search(r"^diplowire_poll_articles_published_total (\S+)$", metrics, re.M)
    assert found, metrics[-2000:]
    return float(found.group(1))


def _feeds_polled(metrics: str) -> float:
    """Feeds the poller has finished, whatever their outcome (diplowire_poll_feeds_total)."""
    return sum(
        float(v) for v in re.findall(r"^diplowire_poll_feeds_total\{[^}]*\} (\S+)$", metrics, re.M)
    )


def _indexed(project: pm.ComposeProject) -> int | None:
    """Documents searchable in this compose's index; None when a request timed out (a refresh
    took over 10 s on a machine at load 40 while the indexer was writing: not yet, not an error)."""
    try:
        _es(project, "/diplowire-articles/_refresh")
        found = _es(project, "/diplowire-articles/_count")
    except urllib.error.HTTPError as exc:
        assert exc.code == 404, exc  # no index yet; anything else is a failure
        return 0
    except TimeoutError:
        return None
    assert isinstance(found, dict)
    return int(found["count"])


def test_override_compose_runs_the_sample_feeds_end_to_end(
    compose_up: pm.ComposeProject,
) -> None:
    project = compose_up
    started = time.monotonic()
    # depends_on as the files describe it: Kafka and Elasticsearch healthy, then the topics
    # one-shot completed, then the feeds server healthy, then the workers.
    project.run("up", "-d", "--no-build", "kafka", "elasticsearch")
    wait_for(lambda: _healthy(project, "kafka"), 180, "kafka healthy")
    wait_for(lambda: _healthy(project, "elasticsearch"), 240, "elasticsearch healthy")
    project.run("up", "-d", "--no-build", "topics")
    code = pm.podman("wait", project.container("topics"), timeout=240).stdout.strip()
    topics_log = pm.podman("logs", project.container("topics")).stdout
    assert code == "0", topics_log
    assert "articles.raw.v1" in topics_log
    project.run("up", "-d", "--no-build", "feeds")
    wait_for(lambda: _healthy(project, "feeds"), 120, "feeds server healthy")
    project.run("up", "-d", "--no-build", "poll", "enrich", "index")

    bundled = m.load_yaml(m.ROOT / "data" / "sample-feeds" / "feeds.yaml")["feeds"]

    # Every bundled feed has articles searchable in this compose's Elasticsearch, and every
    # article the poller got acknowledged is searchable, once its first pass has finished every
    # feed (before that, the count can match mid-pass). A feed whose first fetch failed is
    # fetched again after its backoff (the override's 120 s): twice in 6 CI runs, two feeds
    # timed out after 41 s on the 20 s fetch timeout while the workers' containers started.
    names = {f["name"] for f in bundled}

    def indexed_feeds() -> set[str]:
        query = {"size": 0, "aggs": {"feeds": {"terms": {"field": "source.name", "size": 20}}}}
        try:
            by_feed = _es(project, "/diplowire-articles/_search", query)
        except TimeoutError:  # as in _indexed: not yet
            return set()
        assert isinstance(by_feed, dict)
        return {b["key"] for b in by_feed["aggregations"]["feeds"]["buckets"]}

    def all_indexed() -> bool:
        metrics = _poll_metrics(project)
        if metrics is None or _feeds_polled(metrics) < len(bundled):
            return False
        published = _poll_published(metrics)
        return published > 0 and _indexed(project) == published and indexed_feeds() == names

    try:
        wait_for(all_indexed, 480, "the sample feeds' articles indexed")
    except AssertionError as exc:
        metrics = _poll_metrics(project) or ""
        outcomes = re.findall(r"^diplowire_poll_feed[^{]*\{([^}]*)\} (\S+)$", metrics, re.M)
        logs = {s: pm.Container(project.container(s)).logs()[-1500:] for s in ("poll", "index")}
        raise AssertionError(
            f"{exc}: indexed {_indexed(project)}; feeds by outcome and failure kind {outcomes}; "
            f"logs {logs}"
        ) from None
    metrics = _poll_metrics(project)
    assert metrics is not None
    published = _poll_published(metrics)
    # Both enricher replicas and the other workers pass their health checks while running. One
    # run of a check may miss its 3 s on a loaded machine (an enricher's spaCy batch holding the
    # GIL; CI failed so once on enrich_1), which compose forgives up to `retries: 4`: so does this.
    for service, n in (("poll", 1), ("enrich", 1), ("enrich", 2), ("index", 1)):
        wait_for(lambda s=service, k=n: _healthy(project, s, k), 90, f"{service}_{n} healthy")
    print(f"compose end to end: {published:.0f} articles, {time.monotonic() - started:.0f} s")

    # Torn down as README "Deploy" says: nothing of the project is left, volumes included.
    # Exit code not checked: 1.0.3 reports errors for the kibana containers never started here;
    # what counts is what is left.
    project.run("down", "-v", timeout=300, check=False)
    label = f"label=io.podman.compose.project={project.name}"
    assert pm.podman("ps", "-a", "-q", "--filter", label).stdout.split() == []
    assert pm.podman("volume", "ls", "-q", "--filter", label).stdout.split() == []
