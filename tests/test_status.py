"""The status commands where a newcomer runs them: ``feeds status`` bare after the demo, and
``--json`` on ``index status``, ``stack status`` and ``feeds status`` alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diplowire import demofeeds
from diplowire.cli import main
from diplowire.errors import ErrorKind
from diplowire.sampleserver import SAMPLE_DIR, FeedServer
from diplowire.wire.settings import ElasticsearchSettings, KafkaSettings
from tests.index.helpers import articles, index_directly


def _bare_env(monkeypatch: pytest.MonkeyPatch, stack_dir: Path, cwd: Path) -> None:
    """No feed list configured anywhere, the default list absent, the demo's record in
    ``stack_dir``: what a fresh clone looks like after ``make demo``."""
    for name in ("DIPLOWIRE_FEEDS", "DIPLOWIRE_STATE_DIR", "DIPLOWIRE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DIPLOWIRE_STACK_DIR", str(stack_dir))
    monkeypatch.chdir(cwd)


def test_feeds_status_bare_shows_the_demos_feeds_and_their_state(
    kafka: KafkaSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DIPLOWIRE_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrap_servers)
    monkeypatch.setenv("DIPLOWIRE_KAFKA_TOPIC_PREFIX", kafka.topic_prefix)
    monkeypatch.setenv("DIPLOWIRE_PER_HOST_MIN_SPACING_S", "0")
    monkeypatch.setenv("DIPLOWIRE_ALLOW_ADDRESSES", "127.0.0.1")
    state = tmp_path / "stack" / "poller-state"
    with FeedServer(SAMPLE_DIR) as server:
        # What `diplowire run` does: poll the bundled feeds from its server, record where.
        feeds = str(SAMPLE_DIR / "feeds.yaml")
        argv = ["poll", "--once", "--feeds", feeds, "--base-url", server.base_url]
        assert main([*argv, "--state-dir", str(state)]) == 0
    # The record goes where `run` writes it: the stack directory of this environment.
    _bare_env(monkeypatch, tmp_path / "stack", tmp_path)
    demofeeds.write(demofeeds.DemoFeeds(feeds, server.base_url, str(state)))
    capsys.readouterr()
    assert main(["feeds", "status", "--json"]) == 0
    out = capsys.readouterr()
    rows = [json.loads(line) for line in out.out.splitlines()]
    names = [r["name"] for r in rows]
    assert names and "Franceinfo - Monde" in names
    assert all(r["health"] != "new" and r["published"] > 0 for r in rows), rows
    assert "feeds of the last `diplowire run`" in out.err
    # The table too, with no flag at all.
    assert main(["feeds", "status"]) == 0
    table = capsys.readouterr().out
    assert all(n in table for n in names)


def test_feeds_status_bare_without_a_demo_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _bare_env(monkeypatch, tmp_path / "no-stack", tmp_path)
    assert main(["feeds", "status"]) == ErrorKind.USAGE.exit_code
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "--feeds FILE" in err[1] and "make demo" in err[1]


def test_index_status_json(
    es_settings: ElasticsearchSettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DIPLOWIRE_ELASTICSEARCH_URL", es_settings.url)
    monkeypatch.setenv("DIPLOWIRE_ELASTICSEARCH_INDEX_PREFIX", es_settings.index_prefix)
    capsys.readouterr()
    assert main(["index", "status", "--json"]) == ErrorKind.NOT_FOUND.exit_code
    empty = json.loads(capsys.readouterr().out)
    assert empty["exists"] is False and empty["indices"] == []
    index_directly(es_settings, articles()).close()
    assert main(["index", "status", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["alias"] == es_settings.index_prefix and body["exists"] is True
    assert sum(i["documents"] for i in body["indices"]) == len(articles())
    assert [i["role"] for i in body["indices"]] == ["write"]


def test_stack_status_json(stack: object, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["stack", "status", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["up"] is True
    assert {s["name"] for s in body["services"]} == {"kafka", "elasticsearch"}
    assert all(s["up"] and s["pid"] for s in body["services"])
