"""Operator commands against the real shared Kafka: topics ensure/check, lag, dead letters,
config show. Each test runs the real ``diplowire`` entry point in-process with its namespace
in the environment, as an operator's shell would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

from diplowire.cli import main
from diplowire.wire import topics as t
from diplowire.wire.admin import ensure_topics
from diplowire.wire.deadletters import DeadLetters
from diplowire.wire.outcomes import Poison
from diplowire.wire.settings import KafkaSettings
from tests.support import create_topic, read_topic


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_topics_ensure_creates_then_reports_no_drift(
    env: KafkaSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "topics", "ensure", "--check")
    assert code == 1 and out.count("missing topic") == 3
    code, out, _ = run(capsys, "topics", "ensure")
    assert code == 0, out
    assert f"created {env.topics.raw}" in out and "drift" not in out
    code, out, _ = run(capsys, "topics", "ensure", "--check")
    assert code == 0 and "drift" not in out and "3 topics as wanted" in out


def test_topics_check_names_a_too_small_topic(
    env: KafkaSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    # The raw topic made by hand with one partition and a smaller record limit.
    create_topic(env, env.topics.raw, {"max.message.bytes": "500000"})
    code, out, _ = run(capsys, "topics", "ensure")
    assert code == 0  # the others were created; raw's drift needs an operator
    code, out, _ = run(capsys, "topics", "ensure", "--check")
    assert code == 1
    drift = [line for line in out.splitlines() if line.startswith("drift:")]
    assert drift == [
        f"drift: {env.topics.raw}: too_few_partitions partitions: wanted 3, found 1",
        f"drift: {env.topics.raw}: config max.message.bytes: wanted "
        f"{env.max_message_bytes + 65536}, found 500000",
    ]


def test_enrich_refuses_more_processes_than_partitions(
    env: KafkaSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "enrich", "--processes", "4")
    assert code == 2  # no topic yet: judged by the 3 partitions it would be created with
    assert "would be created with 3 partitions, fewer than the 4 consumers" in err
    ensure_topics(env, partitions=2)
    code, _, err = run(capsys, "enrich", "--processes", "3")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "has 2 partitions, fewer than the 3 consumers" in lines[0]


def test_lag_after_producing_n_and_committing_m(
    env: KafkaSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    ensure_topics(env, partitions=2)
    producer = KafkaProducer(**env.client_config())
    for i in range(7):
        producer.send(env.topics.raw, value=b"x", partition=i % 2)  # 4 on p0, 3 on p1
    producer.flush()
    producer.close()
    group = f"{env.topic_prefix}-enrich"
    consumer = KafkaConsumer(**env.client_config(), group_id=group, enable_auto_commit=False)
    p0, p1 = TopicPartition(env.topics.raw, 0), TopicPartition(env.topics.raw, 1)
    consumer.commit({p0: OffsetAndMetadata(1, "", -1), p1: OffsetAndMetadata(3, "", -1)})
    consumer.close()

    code, out, _ = run(capsys, "lag", "--json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    got = {(r["group"], r["partition"]): (r["committed"], r["end"], r["lag"]) for r in rows[:2]}
    assert got == {(group, 0): (1, 4, 3), (group, 1): (3, 3, 0)}
    assert rows[2] == {"group": f"{env.topic_prefix}-index", "committed": None}
    code, out, _ = run(capsys, "lag", "--group", group)
    assert code == 0 and len(out.splitlines()) == 3  # header and two partitions


def test_deadletters_list_show_replay_round_trip(
    env: KafkaSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    ensure_topics(env)
    producer = KafkaProducer(**env.client_config())
    letters = DeadLetters(producer, env.topics.deadletter, "enrich", max_value_bytes=50)
    futures = [
        letters.send(b"k1", b'{"id": 1}', Poison("bad_json", "cause one"), (env.topics.raw, 2, 7)),
        letters.send(b"k2", b"y" * 80, Poison("bad_json", "too big"), (env.topics.raw, 0, 9)),
        letters.send(b"k3", b"z", Poison("mapping", "es said no"), (env.topics.enriched, 1, 4)),
    ]
    letters.flush(futures)
    producer.close()

    code, out, _ = run(capsys, "deadletters", "list", "--json")
    assert code == 0
    assert [json.loads(line) for line in out.splitlines()] == [
        {"stage": "enrich", "error": "bad_json", "count": 2},
        {"stage": "enrich", "error": "mapping", "count": 1},
    ]
    code, out, _ = run(capsys, "deadletters", "show", "--error", "mapping")
    assert code == 0 and "key k3" in out and "dw-cause: es said no" in out and "value: z" in out
    code, out, _ = run(capsys, "deadletters", "show", "0:1", "--json")
    (shown,) = [json.loads(line) for line in out.splitlines()]
    assert shown["key"] == "k2" and shown["headers"][t.H_TRUNCATED] == "80"
    assert shown["headers"][t.H_SOURCE_OFFSET] == "9" and shown["value"] == "y" * len(
        shown["value"]
    )
    code, out, _ = run(capsys, "deadletters", "list", "--stage", "index")
    assert out.splitlines() == [f"0 dead letters on {env.topics.deadletter}"]

    code, out, err = run(capsys, "deadletters", "replay", "--error", "bad_json", "--dry-run")
    assert code == 1 and f"would send 1 to {env.topics.raw}" in out and "truncated" in err
    assert read_topic(env, env.topics.raw, timeout_s=3) == []

    code, out, err = run(capsys, "deadletters", "replay", "--error", "bad_json")
    assert code == 1  # one refused: the truncated one
    assert f"sent 1 to {env.topics.raw}" in out
    assert "refused 0:1: truncated" in err
    back = read_topic(env, env.topics.raw)
    assert [(r.key, r.value) for r in back] == [(b"k1", b'{"id": 1}')]
    assert not [k for k, _ in back[0].headers if k.startswith("dw-")]


def test_config_show_masks_an_env_secret_and_names_sources(
    env: KafkaSettings,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("DIPLOWIRE_ELASTICSEARCH_API_KEY", "s3cr3t-key-value")
    cfg = tmp_path / "s.yaml"
    cfg.write_text("loop: {batch_max_records: 9}\n", encoding="utf-8")
    code, out, _ = run(
        capsys,
        *("--config", str(cfg), "config", "show", "--service", "index"),
        *("--set", "bulk_item_attempts=7", "--json"),
    )
    assert code == 0
    assert "s3cr3t" not in out
    rows = {r["name"]: r for r in map(json.loads, out.splitlines())}
    assert rows["elasticsearch.api_key"]["value"] == "***"
    assert rows["elasticsearch.api_key"]["source"] == "env"
    assert rows["kafka.topic_prefix"] == {
        "service": "index",
        "name": "kafka.topic_prefix",
        "value": env.topic_prefix,
        "source": "env",
    }
    assert rows["bulk_item_attempts"]["source"] == "flag"
    assert rows["bulk_item_attempts"]["value"] == "7"
    assert rows["elasticsearch.url"]["source"] == "default"
    assert (rows["loop.batch_max_records"]["value"], rows["loop.batch_max_records"]["source"]) == (
        "9",
        "file",
    )
