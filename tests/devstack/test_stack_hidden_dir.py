"""The stack and the tests' throwaway Elasticsearch node, run from a directory others cannot search.

A checkout under root's home (0700) or a ``mktemp -d`` folder is out of reach of the unprivileged
user Elasticsearch runs as when we are root; both must then keep Elasticsearch's files elsewhere.
This runs a private stack (own dir, own ports: the shared one on 9092/9200 is never touched).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from diplowire import devstack as stk
from tests.support.esnode import EsNode


def _free_ports(n: int) -> list[int]:
    # Held open together so the ports differ from each other.
    with ExitStack() as held:
        socks = [held.enter_context(socket.socket()) for _ in range(n)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def _es_info(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=10) as resp:
        body = json.load(resp)
    assert isinstance(body, dict)
    return body


@pytest.fixture
def hidden_parent() -> Iterator[Path]:
    parent = Path(tempfile.mkdtemp(prefix="diplowire-hidden-"))
    parent.chmod(0o700)
    yield parent
    shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture
def private_cfg(hidden_parent: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[stk.StackConfig]:
    kafka_port, controller_port, es_port = _free_ports(3)
    monkeypatch.setenv("DIPLOWIRE_STACK_DIR", str(hidden_parent / "stack"))
    monkeypatch.setenv("DIPLOWIRE_KAFKA_PORT", str(kafka_port))
    monkeypatch.setenv("DIPLOWIRE_KAFKA_CONTROLLER_PORT", str(controller_port))
    monkeypatch.setenv("DIPLOWIRE_ES_PORT", str(es_port))
    cfg = stk.StackConfig.from_env()
    yield cfg
    # Whatever happened, stop this stack (by its own pid files) and remove what it made.
    stk.down(cfg)
    if cfg.es_base != cfg.stack_dir and cfg.es_base.name.startswith("diplowire-es-"):
        shutil.rmtree(cfg.es_base, ignore_errors=True)


def test_stack_and_test_node_run_from_a_directory_others_cannot_search(
    private_cfg: stk.StackConfig, hidden_parent: Path
) -> None:
    cfg = private_cfg
    assert not stat.S_IMODE(hidden_parent.stat().st_mode) & stat.S_IXOTH
    assert cfg.stack_dir.is_relative_to(hidden_parent)
    if os.geteuid() == 0:
        # Elasticsearch runs as an unprivileged user here: its files must live out of the 0700 dir.
        assert not cfg.es_base.is_relative_to(hidden_parent)
        assert stk.others_can_traverse(cfg.es_base.parent)
    else:
        assert cfg.es_base == cfg.stack_dir

    statuses = stk.up(cfg)
    assert {name: st.state for name, st in statuses.items()} == {stk.KAFKA: "up", stk.ES: "up"}
    stack_pids = stk.service_pids(cfg, stk.KAFKA) + stk.service_pids(cfg, stk.ES)
    assert stk.kafka_metadata_ok(cfg.kafka_port)
    assert (
        _es_info(f"http://127.0.0.1:{cfg.es_port}/_cluster/health")["cluster_name"] == "diplowire"
    )
    if cfg.es_base != cfg.stack_dir:
        assert (cfg.stack_dir / "elasticsearch").resolve() == cfg.es_dir.resolve()

    node = EsNode(cfg=cfg)
    try:
        node.start()
        assert node.proc is not None
        node_pids = [node.proc.pid, stk.read_pid(node.dir / "server.pid")]
        assert _es_info(f"{node.url}/_cluster/health")["cluster_name"] == "diplowire-test-node"
        assert node.dir.is_relative_to(cfg.es_base)
        if node.link is not None:
            assert node.link.resolve() == node.dir.resolve()
    finally:
        node.destroy()
    assert not node.healthy()
    assert not any(stk.alive(p) for p in node_pids if p is not None)
    assert not node.dir.exists()
    assert node.link is None or not node.link.is_symlink()

    stk.down(cfg)
    assert not any(stk.alive(p) for p in stack_pids)
    assert {name: st.state for name, st in stk.status(cfg).items()} == {
        stk.KAFKA: "down",
        stk.ES: "down",
    }
