"""Hostile messages on the raw and enriched topics: the real enricher and indexer dead-letter each
with its label, within the stage's time and memory bounds, and index nothing of them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from diplowire.wire import topics as t
from diplowire.wire.settings import KafkaSettings
from tests.ingest.hostile.cases import TOTAL_MB
from tests.ingest.hostile.proc import corpus_runner
from tests.ingest.hostile.stages import STAGE_MEM_MB, STAGE_TIME_S, STAGES, StageCase, stage_cases
from tests.support import Stack, read_topic

CASES = [c for stage in STAGES for c in stage_cases(stage)]


@pytest.fixture(scope="module")
def stages(stack: Stack) -> Iterator[dict[str, Any]]:
    """stage -> the runner's result, plus ``dead``: case name -> the dead letter's headers."""
    ns = f"t{uuid.uuid4().hex[:10]}"
    results: dict[str, Any] = {}
    with corpus_runner() as (proc, ready):
        assert proc.stdin is not None and proc.stdout is not None
        for stage in STAGES:
            cases = stage_cases(stage)
            job = {
                "kind": "stage",
                "name": stage,
                "stage": stage,
                # One namespace per stage: the enricher's output must not feed the indexer.
                "prefix": f"{ns}{stage[0]}",
                "bootstrap": stack.bootstrap,
                "es_url": stack.es_url,
                "messages": [None if c.value is None else c.value.hex() for c in cases],
                "keys": [c.name for c in cases],
                "time_s": STAGE_TIME_S,
            }
            proc.stdin.write(json.dumps(job) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            assert line, f"the corpus runner died on stage {stage}"
            results[stage] = {**json.loads(line), "runner_rss_mb": ready["rss_mb"]}
        proc.stdin.close()
    dead: dict[str, dict[str, str]] = {}
    for stage in STAGES:
        kafka = KafkaSettings(bootstrap_servers=stack.bootstrap, topic_prefix=f"{ns}{stage[0]}")
        for rec in read_topic(kafka, kafka.topics.deadletter, timeout_s=30):
            dead[rec.key.decode()] = {k: v.decode() for k, v in rec.headers}
    es = Elasticsearch(stack.es_url)
    indexed = int(es.count(index=f"{ns}i-articles*", allow_no_indices=True)["count"])
    es.indices.delete(index=f"{ns}*", ignore_unavailable=True, allow_no_indices=True)
    es.options(ignore_status=404).indices.delete_index_template(name=f"{ns}i-articles-template")
    es.close()
    print(f"\nstages: {json.dumps({s: _summary(r) for s, r in results.items()})}")
    yield {"results": results, "dead": dead, "indexed": indexed}


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    keys = ("elapsed_s", "rss_delta_mb", "rss_total_mb", "dead_lettered", "by_reason", "error")
    return {k: result.get(k) for k in keys}


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_within_its_bounds(stage: str, stages: dict[str, Any]) -> None:
    r = stages["results"][stage]
    assert "error" not in r and r["exit"] == 0, r.get("error")
    assert r["errors"] == [] and r["stopped"], r
    n = len(stage_cases(stage))
    assert r["dead_lettered"] == n and r["succeeded"] == 0, r
    assert r["elapsed_s"] <= STAGE_TIME_S, r["elapsed_s"]
    assert r["rss_delta_mb"] <= STAGE_MEM_MB, r["rss_delta_mb"]
    # The enricher never loads its language models for messages it cannot decode.
    assert r["rss_total_mb"] < TOTAL_MB, r["rss_total_mb"]
    assert all(c.startswith("127.0.0.1:") for c in r["connects"]), r["connects"]
    if stage == "index":
        assert stages["indexed"] == 0


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_message(case: StageCase, stages: dict[str, Any]) -> None:
    headers = stages["dead"].get(case.name)
    assert headers is not None, f"{case.name} not dead-lettered"
    assert headers[t.H_ERROR] == case.label, headers
    assert headers[t.H_STAGE] == case.name.split("_", 1)[0], headers
    assert headers[t.H_CAUSE], headers
