"""`diplowire enrich --processes 2`: two consumers in one group share the raw topic and drain."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from kafka.admin import KafkaAdminClient

from diplowire.sampleserver import SAMPLE_DIR
from diplowire.wire.admin import ensure_topics
from diplowire.wire.settings import ElasticsearchSettings, KafkaSettings
from tests.support import committed, read_topic, topic_size, wait_for
from tests.support.pipeline import poll_folder
from tests.support.workers import start_worker, stop_worker


def _members(kafka: KafkaSettings) -> list[dict[str, Any]]:
    admin = KafkaAdminClient(**kafka.client_config())
    try:
        group = kafka.topics.group("enrich")
        return list(admin.describe_groups([group])[group]["members"])
    finally:
        admin.close()


def test_two_enrich_processes_split_the_partitions_and_enrich_everything_once(
    kafka: KafkaSettings, es_settings: ElasticsearchSettings, tmp_path: Path
) -> None:
    ensure_topics(kafka)
    log = tmp_path / "enrich.log"
    proc: subprocess.Popen[bytes] = start_worker(
        "enrich", kafka, es_settings, log, "--processes", "2"
    )
    try:
        # Both children joined the group (each loads its models first) before articles arrive.
        wait_for(lambda: len(_members(kafka)) == 2, 180, "two members in the enrich group")
        _feeds, report = poll_folder(kafka, SAMPLE_DIR, tmp_path)
        total = report.published
        wait_for(
            lambda: committed(kafka, kafka.topics.group("enrich")) >= total,
            180,
            "both processes drained the raw topic",
        )
        members = _members(kafka)
        assert len(members) == 2
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
