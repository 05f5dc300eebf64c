"""Unit tests for diplowire.devstack that need no Kafka, Elasticsearch or downloads.

The real servers are exercised by every integration test through the ``stack`` fixture.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from diplowire import devstack as stk
from tests.support.kafkanode import free_port


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> stk.StackConfig:
    monkeypatch.setenv("DIPLOWIRE_STACK_DIR", str(tmp_path / "stack"))
    monkeypatch.setenv("DIPLOWIRE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("DIPLOWIRE_KAFKA_PORT", str(free_port()))
    monkeypatch.setenv("DIPLOWIRE_KAFKA_CONTROLLER_PORT", str(free_port()))
    monkeypatch.setenv("DIPLOWIRE_ES_PORT", str(free_port()))
    return stk.StackConfig.from_env()


def test_addresses_default_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIPLOWIRE_KAFKA_PORT", raising=False)
    monkeypatch.delenv("DIPLOWIRE_ES_PORT", raising=False)
    assert stk.kafka_bootstrap() == "127.0.0.1:9092" == stk.DEFAULT_KAFKA_BOOTSTRAP
    assert stk.es_url() == "http://127.0.0.1:9200" == stk.DEFAULT_ES_URL
    monkeypatch.setenv("DIPLOWIRE_KAFKA_PORT", "19092")
    monkeypatch.setenv("DIPLOWIRE_ES_PORT", "19200")
    assert stk.kafka_bootstrap() == "127.0.0.1:19092"
    assert stk.kafka_controller_port() == 19093
    assert stk.es_url() == "http://127.0.0.1:19200"
    monkeypatch.setenv("DIPLOWIRE_ES_PORT", "http")
    with pytest.raises(stk.StackError, match="DIPLOWIRE_ES_PORT"):
        stk.es_url()


def test_ports_must_differ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DIPLOWIRE_STACK_DIR", str(tmp_path))
    monkeypatch.setenv("DIPLOWIRE_KAFKA_PORT", "9200")
    monkeypatch.setenv("DIPLOWIRE_ES_PORT", "9200")
    with pytest.raises(stk.StackError, match="ports must differ"):
        stk.StackConfig.from_env()


@pytest.mark.parametrize(
    ("version", "expected"),
    [("8.17.4", (17, 23)), ("8.19.21", (17, None)), ("9.1.0", (21, None))],
)
def test_jdk_rule_for_elasticsearch(version: str, expected: tuple[int, int | None]) -> None:
    assert stk.jdk_range_for_elasticsearch(version) == expected


def _fake_jdk(root: Path, name: str, version: str) -> Path:
    home = root / name
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text("#!/bin/sh\nexit 0\n")
    java.chmod(0o755)
    (home / "release").write_text(f'JAVA_VERSION="{version}"\n')
    return home


def test_pick_jdk_prefers_explicit_then_newest_in_range(tmp_path: Path) -> None:
    j8 = _fake_jdk(tmp_path, "j8", "1.8.0_402")
    j17 = _fake_jdk(tmp_path, "j17", "17.0.15")
    j21 = _fake_jdk(tmp_path, "j21", "21.0.2")
    j25 = _fake_jdk(tmp_path, "j25", "25")
    cands = [(j8, False), (j17, False), (j21, False), (j25, False)]
    # Nothing explicit: the newest JDK in range.
    assert stk.pick_jdk(17, 23, candidates=cands) == (j21, 21)
    assert stk.pick_jdk(21, None, candidates=cands) == (j25, 25)
    # An explicit JDK (JAVA_HOME, or java on PATH) in range wins over newer ones.
    cands[:] = [(j17, True), (j8, False), (j21, False), (j25, False)]
    assert stk.pick_jdk(17, None, candidates=cands) == (j17, 17)
    # An explicit JDK out of range is skipped, not used.
    assert stk.pick_jdk(21, None, candidates=cands) == (j25, 25)
    with pytest.raises(stk.StackError, match=r"need Java 26\+"):
        stk.pick_jdk(26, None, candidates=cands)


def test_generated_configs(cfg: stk.StackConfig) -> None:
    props = stk.kafka_properties(cfg)
    for line in (
        "process.roles=broker,controller",
        f"listeners=PLAINTEXT://127.0.0.1:{cfg.kafka_port},CONTROLLER://127.0.0.1:"
        f"{cfg.controller_port}",
        "num.partitions=3",
        "offsets.topic.replication.factor=1",
        "transaction.state.log.replication.factor=1",
        "min.insync.replicas=1",
        "group.initial.rebalance.delay.ms=0",
    ):
        assert line in props.splitlines()
    yml = stk.es_yml(cfg)
    for line in (
        "discovery.type: single-node",
        "network.host: 127.0.0.1",
        f"http.port: {cfg.es_port}",
        "xpack.security.enabled: false",
        "cluster.routing.allocation.disk.threshold_enabled: false",
    ):
        assert line in yml.splitlines()


@pytest.fixture
def fake_broker() -> Iterator[int]:
    """A TCP server answering one Metadata v4 request the way a one-node Kafka does."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def serve() -> None:
        conn, _ = srv.accept()
        with conn:
            size = struct.unpack(">i", conn.recv(4))[0]
            req = b""
            while len(req) < size:
                req += conn.recv(size - len(req))
            api_key, api_version, corr = struct.unpack_from(">hhi", req)
            assert (api_key, api_version) == (3, 4)
            host = b"127.0.0.1"
            body = struct.pack(">iii", corr, 0, 1)  # correlation id, throttle, 1 broker
            body += struct.pack(">ih", 1, len(host)) + host + struct.pack(">ih", 9092, -1)
            body += struct.pack(">h", 4) + b"abcd"  # cluster id
            body += struct.pack(">ii", 1, 0)  # controller id, no topics
            conn.sendall(struct.pack(">i", len(body)) + body)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield srv.getsockname()[1]
    t.join(timeout=5)
    srv.close()


def test_kafka_metadata_probe(fake_broker: int) -> None:
    assert stk.kafka_metadata_ok(fake_broker)
    assert not stk.kafka_metadata_ok(free_port())


def test_status_of_nothing(cfg: stk.StackConfig, capsys: pytest.CaptureFixture[str]) -> None:
    statuses = stk.status(cfg)
    assert {s.state for s in statuses.values()} == {"down"}
    assert stk.main(["status"]) == 1
    assert "down" in capsys.readouterr().out


def test_down_never_kills_a_process_it_did_not_start(cfg: stk.StackConfig) -> None:
    cfg.stack_dir.mkdir(parents=True)
    # A pid file pointing at a live, unrelated process (pid reuse): must not be signalled.
    cfg.pid_file(stk.KAFKA).write_text(f"{os.getpid()}\n")
    stk.down(cfg)
    assert not cfg.pid_file(stk.KAFKA).exists()


def test_up_refuses_a_port_taken_by_someone_else(
    cfg: stk.StackConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", cfg.es_port))
        squatter.listen(1)
        with pytest.raises(stk.StackError, match=f"port {cfg.es_port} .*already in use"):
            stk.up(cfg)
        assert stk.main(["up"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("diplowire stack: port ")
