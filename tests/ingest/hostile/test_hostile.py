"""The hostile corpus against the real poller and the real Kafka: outcome, time and memory bounds.

The whole corpus is run once per module (one forked process per case, see runner.py), then each
case is one test: its outcome label, its time bound, its memory bounds and its own checks.
``pytest -s`` prints the measured table.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Iterator

import pytest

from diplowire.wire.article import decode
from diplowire.wire.settings import KafkaSettings
from tests.ingest.hostile import cases, defects
from tests.ingest.hostile.cases import MAX_BYTES, TIMEOUT_S, TOTAL_MB, Case, Outcome
from tests.ingest.hostile.proc import corpus_runner
from tests.ingest.hostile.server import HostileServer
from tests.support import Stack, read_topic

CASES = cases.CASES + defects.CASES
BASE_SETTINGS = {
    "fetch_timeout_s": TIMEOUT_S,
    "max_feed_bytes": MAX_BYTES,
    "workers": 2,
    "per_host_concurrency": 2,
    "per_host_min_spacing_s": 0.0,
    # Only the hostile server's exact address: 127.0.0.2, ::1 and the rest stay forbidden.
    "allow_addresses": ["127.0.0.1"],
}


def _jobs(
    srv: HostileServer, kafka: KafkaSettings, tmp: str, selected: set[str]
) -> list[dict[str, object]]:
    jobs: list[dict[str, object]] = []
    for case in CASES:
        if case.name not in selected:
            continue
        prefix = f"/{case.name}/"
        for rel, route in case.routes(srv, prefix).items():
            srv.routes[prefix + rel] = route
        jobs.append(
            {
                "name": case.name,
                "url": case.url(srv, prefix) if case.url else srv.url(prefix + "feed"),
                "feed": case.feed,
                "settings": {**BASE_SETTINGS, **case.settings},
                "bootstrap": kafka.bootstrap_servers,
                "prefix": kafka.topic_prefix,
                "state_dir": os.path.join(tmp, case.name),
                "time_s": case.time_s,
                "passes": case.passes,
            }
        )
    return jobs


@pytest.fixture(scope="module")
def corpus(stack: Stack, request: pytest.FixtureRequest) -> Iterator[dict[str, Outcome]]:
    # Only the cases this session runs (``-k`` works): the 50,000-item case alone takes a minute.
    # Only this module's items: other modules have a "case" parameter of their own.
    params = (
        getattr(getattr(i, "callspec", None), "params", {})
        for i in request.session.items
        if getattr(i, "module", None) is request.module
    )
    selected = {p["case"].name for p in params if "case" in p}
    kafka = KafkaSettings(
        bootstrap_servers=stack.bootstrap, topic_prefix=f"t{uuid.uuid4().hex[:10]}"
    )
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp, HostileServer() as srv:
        jobs = _jobs(srv, kafka, tmp, selected)
        with corpus_runner() as (proc, ready):
            assert proc.stdin is not None and proc.stdout is not None
            for job in jobs:
                proc.stdin.write(json.dumps(job) + "\n")
                proc.stdin.flush()
                line = proc.stdout.readline()
                assert line, f"the corpus runner died on {job['name']}"
                results[str(job["name"])] = {**json.loads(line), "runner_rss_mb": ready["rss_mb"]}
            proc.stdin.close()
        hits, port = list(srv.hits), srv.port
    by_feed: dict[str, list[object]] = {}
    for rec in read_topic(kafka, kafka.topics.raw, timeout_s=90):
        art = decode(rec.value)
        by_feed.setdefault(art.source.feed_url, []).append(art)
    outcomes = {}
    for job in jobs:
        name = str(job["name"])
        outcomes[name] = Outcome(
            name,
            results[name],
            by_feed.get(str(job["url"]), []),  # type: ignore[arg-type]
            [h for h in hits if h.startswith(f"/{name}/")],
            port,
        )
    _print_table(outcomes, ready)
    yield outcomes


def _print_table(outcomes: dict[str, Outcome], ready: dict[str, object]) -> None:
    print(f"\nhostile corpus: {len(outcomes)} cases; runner baseline {ready.get('rss_mb')} MB RSS")
    print(f"{'case':34} {'label':22} {'poll s':>7} {'+MB':>6} {'peak MB':>8} {'arts':>6}")
    for o in outcomes.values():
        p = (o.result.get("passes") or [{}])[-1]
        print(
            f"{o.name:34} {str(p.get('label', o.result.get('error', '?')))[:22]:22} "
            f"{p.get('elapsed_s', 0):7.2f} {p.get('rss_delta_mb', 0):6.1f} "
            f"{o.result.get('rss_total_mb', 0):8.1f} {len(o.articles):6}"
        )


def test_the_corpus_has_at_least_50_distinct_cases() -> None:
    assert len(CASES) >= 50
    assert len({c.name for c in CASES}) == len(CASES)
    assert all(c.mem_mb < TOTAL_MB and c.time_s > 0 for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(case: Case, corpus: dict[str, Outcome]) -> None:
    o = corpus[case.name]
    assert "error" not in o.result, o.result.get("error")
    assert o.result["exit"] == 0
    assert len(o.result["passes"]) == case.passes
    for run in o.result["passes"]:
        assert run["label"] == case.label, (run["label"], run["last_error"])
        if case.label in ("ok", "unchanged"):
            assert run["health"] == "ok"
        else:
            # A refused feed is marked failing with the same label, never silently dropped.
            assert run["health"] in ("failing", "disabled")
            assert run["last_error"].startswith(case.label + ":"), run["last_error"]
        assert run["elapsed_s"] <= case.time_s, f"{run['elapsed_s']} s > {case.time_s} s"
        assert run["rss_delta_mb"] <= case.mem_mb, f"grew {run['rss_delta_mb']} MB"
        # The forked child shares the runner's library pages without counting them all: the
        # runner's own resident set plus the growth is what a standalone poller would reach.
        standalone = o.result["runner_rss_mb"] + run["rss_delta_mb"]
        assert standalone < TOTAL_MB, f"would peak at {standalone} MB"
    assert o.result["rss_total_mb"] < TOTAL_MB, f"peaked at {o.result['rss_total_mb']} MB"
    # Every connection the poller made went to the local server or the local Kafka.
    assert all(c.startswith("127.0.0.1:") for c in o.result["connects"]), o.result["connects"]
    if case.check is not None:
        case.check(o)
