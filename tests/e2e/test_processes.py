"""`diplowire enrich --processes 2`: two consumers in one group share the raw topic and drain."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

from kafka.admin import KafkaAdminClient

from diplowire.sampleserver import SAMPLE_DIR
from diplowire.wire.admin import ensure_topics
from diplowire.wire.settings import ElasticsearchSettings, KafkaSettings
from tests.support import committed, read_topic, topic_size, wait_for
from tests.support.pipeline import poll_folder
from tests.support.workers import start_worker, stop_worker

DRAIN_WAIT_S = 360
"""A wait, not a speed test: each process loads a language's models on its first article in
that language, slowly on a loaded machine. At load average ~12 the drain took 148 s of the 180 s
this was (articles sent during the rebalance), 80 s once the group is stable first; the test
failed once at 200 s under load, cause not captured (hence the log tails in the messages)."""


def _group(kafka: KafkaSettings) -> tuple[str, list[dict[str, Any]]]:
    """The enrich group's state and members, as its coordinator describes them."""
    admin = KafkaAdminClient(**kafka.client_config())
    try:
        group = kafka.topics.group("enrich")
        desc = admin.describe_groups([group])[group]
        return str(desc["group_state"]), list(desc["members"])
    finally:
        admin.close()


def _joined(kafka: KafkaSettings) -> bool:
    state, members = _group(kafka)
    return state == "Stable" and len(members) == 2


def _stable_group(kafka: KafkaSettings, timeout_s: float) -> tuple[str, list[dict[str, Any]]]:
    """The group once Stable (the coordinator reports assignments only then), or as it is at
    ``timeout_s``: a rebalance still running when the drain ends is waited out, not a failure."""
    deadline = time.monotonic() + timeout_s
    state, members = _group(kafka)
    while state != "Stable" and time.monotonic() < deadline:
        time.sleep(0.25)
        state, members = _group(kafka)
    return state, members


def _log_tail(log: Path) -> str:
    lines = [ln for ln in log.read_text(errors="replace").splitlines() if "kafka.net" not in ln]
    return "enrich log:\n" + "\n".join(lines[-40:])


def _running(proc: subprocess.Popen[bytes], log: Path) -> bool:
    """True while ``diplowire enrich`` runs: a wait on it ends at once, with its log, if not."""
    if proc.poll() is not None:
        raise AssertionError(f"enrich exited {proc.returncode}; {_log_tail(log)}")
    return True


def test_two_enrich_processes_split_the_partitions_and_enrich_everything_once(
    kafka: KafkaSettings, es_settings: ElasticsearchSettings, tmp_path: Path
) -> None:
    ensure_topics(kafka)
    log = tmp_path / "enrich.log"
    proc: subprocess.Popen[bytes] = start_worker(
        "enrich", kafka, es_settings, log, "--processes", "2"
    )
    try:
        # Both children are in the group, its rebalance over, before articles arrive. A child
        # loads a language's models on its first article in it, and a rebalance waits until
        # every member polls again: with articles sent while the second child was joining, the
        # first one held the group up for its model loads (47 s at load average ~8) while the
        # second one idled.
        wait_for(
            lambda: _running(proc, log) and _joined(kafka),
            180,
            "two members in the enrich group, stable",
            detail=lambda: f"{_group(kafka)}; {_log_tail(log)}",
        )
        _feeds, report = poll_folder(kafka, SAMPLE_DIR, tmp_path)
        total = report.published
        group = kafka.topics.group("enrich")
        wait_for(
            lambda: _running(proc, log) and committed(kafka, group) >= total,
            DRAIN_WAIT_S,
            "both processes drained the raw topic",
            detail=lambda: f"{committed(kafka, group)} of {total} committed; {_log_tail(log)}",
        )
        state, members = _stable_group(kafka, 60)
        assert state == "Stable" and len(members) == 2, (state, members)
        assigned = [m["member_assignment"]["assigned_partitions"] for m in members]
        # The three partitions are split between the two processes, none left out.
        parts = sorted(p for a in assigned for tp in a for p in tp["partitions"])
        assert parts == [0, 1, 2] and all(a for a in assigned), assigned
    finally:
        stop_worker(proc, log)
    assert "all 2 workers stopped" in log.read_text()
    enriched = read_topic(kafka, kafka.topics.enriched)
    # A rebalance may re-send a batch (at-least-once), never lose one.
    assert {r.key for r in enriched} == {r.key for r in read_topic(kafka, kafka.topics.raw)}
    assert topic_size(kafka, kafka.topics.enriched) >= total
