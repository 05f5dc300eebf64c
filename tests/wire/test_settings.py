from __future__ import annotations

from pathlib import Path

import pytest

from diplowire.wire.settings import (
    EnrichSettings,
    IndexSettings,
    PollSettings,
    Secret,
    SettingsError,
    SubscribeSettings,
    describe,
    load,
)


def test_precedence_defaults_file_env_overrides(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "kafka:\n  bootstrap_servers: filehost:9092\n  topic_prefix: fromfile\n"
        "loop:\n  batch_max_records: 7\n"
    )
    env = {"DIPLOWIRE_KAFKA_TOPIC_PREFIX": "fromenv"}
    s = load(EnrichSettings, file=cfg, env=env, overrides={"max_text_chars": 10})
    assert s.kafka.bootstrap_servers == "filehost:9092"
    assert s.kafka.topic_prefix == "fromenv"
    assert s.loop.batch_max_records == 7
    assert s.max_text_chars == 10
    assert s.kafka.topics.raw == "fromenv.articles.raw.v1"


def test_loaded_defaults_are_the_services_own(tmp_path: Path) -> None:
    """A nested section starts from its service's default: the indexer's loop batches 500
    records within 300 ms (IndexSettings), not LoopSettings' 64 within 500 ms, also when one
    loop setting comes from the environment or a file."""
    for cls in (PollSettings, EnrichSettings, IndexSettings, SubscribeSettings):
        assert load(cls, env={}) == cls()
    env = {"DIPLOWIRE_LOOP_BATCH_MAX_RECORDS": "7"}
    loop = load(IndexSettings, env=env).loop
    assert (loop.batch_max_records, loop.batch_max_wait_ms) == (7, 300)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("loop:\n  retry_max_ms: 900\n")
    loop = load(IndexSettings, file=cfg, env={}).loop
    assert (loop.batch_max_records, loop.batch_max_wait_ms, loop.retry_max_ms) == (500, 300, 900)
    assert load(EnrichSettings, file=cfg, env={}).loop.batch_max_records == 64


def test_config_file_from_environment(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("elasticsearch:\n  index_prefix: news\n")
    s = load(IndexSettings, env={"DIPLOWIRE_CONFIG": str(cfg)})
    assert s.elasticsearch.index_prefix == "news"


def test_bad_values_and_unknown_keys_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="DIPLOWIRE_LOOP_BATCH_MAX_RECORDS"):
        load(EnrichSettings, env={"DIPLOWIRE_LOOP_BATCH_MAX_RECORDS": "many"})
    cfg = tmp_path / "c.yaml"
    cfg.write_text("kafka:\n  bootstrap: x\n")
    with pytest.raises(SettingsError, match="unknown settings"):
        load(EnrichSettings, file=cfg, env={})
    with pytest.raises(SettingsError, match="cannot read settings file"):
        load(EnrichSettings, file=tmp_path / "missing.yaml", env={})


def test_secrets_never_show_in_logs_or_reprs() -> None:
    s = load(
        IndexSettings,
        env={
            "DIPLOWIRE_ELASTICSEARCH_PASSWORD": "hunter2",
            "DIPLOWIRE_ELASTICSEARCH_USERNAME": "elastic",
        },
    )
    assert isinstance(s.elasticsearch.password, Secret)
    assert "hunter2" not in repr(s) and "hunter2" not in "\n".join(describe(s))
    assert s.elasticsearch.client_kwargs()["basic_auth"] == ("elastic", "hunter2")
