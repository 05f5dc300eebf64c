"""A throwaway Elasticsearch node for tests that stop and start Elasticsearch.

The shared stack's node serves every test, so it is never stopped; this one runs from the same
unpacked distribution with its own config, data and port, as the same unprivileged user.

Its files go where the stack puts Elasticsearch's (``StackConfig.es_base``): the stack dir, or
a /var/tmp directory when the unprivileged user cannot reach the stack dir (a checkout under
root's 0700 home); the stack dir then holds a symlink to it, as it does for the main node.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

from diplowire import devstack as stk
from tests.support.kafkanode import free_port


def prepare_node(
    node_dir: Path,
    home: Path,
    *,
    http_port: int,
    transport_port: int,
    cluster: str,
    node: str,
    owner: tuple[int, int] | None,
    settings: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """Config, data and logs of a single node in ``node_dir``, run from the distribution in
    ``home``: the command and environment that start it. ``settings`` are extra
    ``elasticsearch.yml`` lines, ``env`` extra variables (the fault suite's write pool)."""
    conf = node_dir / "config"
    for sub in ("data", "logs", "tmp"):
        (node_dir / sub).mkdir(parents=True, exist_ok=True)
    if not conf.exists():
        shutil.copytree(home / "config", conf)
    jvm = (home / "config" / "jvm.options").read_text()
    jvm = jvm.replace("file=gc.log", f"file={node_dir / 'logs' / 'gc.log'}")
    jvm = jvm.replace(
        "-XX:ErrorFile=hs_err_pid%p.log", f"-XX:ErrorFile={node_dir / 'logs' / 'hs_err.log'}"
    )
    (conf / "jvm.options").write_text(jvm)
    lines = [
        f"cluster.name: {cluster}",
        f"node.name: {node}",
        f"path.data: {json.dumps(str(node_dir / 'data'))}",
        f"path.logs: {json.dumps(str(node_dir / 'logs'))}",
        "network.host: 127.0.0.1",
        f"http.port: {http_port}",
        f"transport.port: {transport_port}",
        "discovery.type: single-node",
        "xpack.security.enabled: false",
        "cluster.routing.allocation.disk.threshold_enabled: false",
        *settings,
    ]
    (conf / "elasticsearch.yml").write_text("\n".join(lines) + "\n")
    if owner is not None:
        stk.chown_tree(node_dir, *owner)
    jdk, _ = stk.pick_jdk(*stk.jdk_range_for_elasticsearch(), env_vars=("ES_JAVA_HOME",))
    run_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(node_dir),
        "ES_JAVA_HOME": str(jdk),
        "ES_PATH_CONF": str(conf),
        "ES_JAVA_OPTS": "-Xms512m -Xmx512m",
        "ES_TMPDIR": str(node_dir / "tmp"),
        **(env or {}),
    }
    return [str(home / "bin" / "elasticsearch"), "-p", str(node_dir / "server.pid")], run_env


class EsNode:
    def __init__(
        self,
        http_port: int | None = None,
        transport_port: int | None = None,
        cfg: stk.StackConfig | None = None,
    ) -> None:
        self.cfg = cfg or stk.StackConfig.from_env()
        # Free ports by default: another run (or the shared node) may hold the usual ones.
        self.http_port = http_port or free_port()
        self.transport_port = transport_port or free_port()
        name = f"test-node-{uuid.uuid4().hex[:8]}"
        # Next to the stack's own node, which the Elasticsearch user can reach (pytest's tmp
        # and root's home are 0700); the stack decides where that is.
        self.dir = self.cfg.es_base / name
        # Where the stack dir is out of reach, a link keeps the node's logs findable from it.
        self.link = self.cfg.stack_dir / name if self.cfg.es_base != self.cfg.stack_dir else None
        self.proc: subprocess.Popen[bytes] | None = None
        self.owner = stk.es_owner()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def _prepare(self) -> tuple[list[str], dict[str, str]]:
        home = self.cfg.es_home
        if not (home / "bin" / "elasticsearch").is_file():
            raise RuntimeError(f"no Elasticsearch distribution at {home}: run `diplowire stack up`")
        for sub in ("data", "logs", "tmp"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        if self.link is not None and not self.link.is_symlink():
            self.link.symlink_to(self.dir)
        return prepare_node(
            self.dir,
            home,
            http_port=self.http_port,
            transport_port=self.transport_port,
            cluster="diplowire-test-node",
            node="test-node",
            owner=self.owner,
        )

    def start(self, timeout: float = 90.0) -> None:
        cmd, env = self._prepare()
        kwargs: dict[str, object] = {}
        if self.owner is not None:
            kwargs = {"user": self.owner[0], "group": self.owner[1], "extra_groups": []}
        with (self.dir / "logs" / "stdout.log").open("ab") as log:
            self.proc = subprocess.Popen(  # type: ignore[call-overload]
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=str(self.dir / "logs"),
                env=env,
                start_new_session=True,
                **kwargs,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = stk.tail(self.dir / "logs" / "stdout.log")
                self.stop()
                raise RuntimeError(f"test node exited: {tail}")
            if self.healthy():
                return
            time.sleep(0.5)
        # A fixture whose set-up raises gets no teardown: leave no JVM running behind.
        self.stop()
        raise RuntimeError(f"test node not ready after {timeout:.0f}s")

    def healthy(self) -> bool:
        url = f"{self.url}/_cluster/health?wait_for_status=yellow&timeout=1s"
        try:
            with urllib.request.urlopen(url, timeout=3) as resp:
                return bool(resp.status == 200)
        except OSError:
            return False

    def stop(self) -> None:
        """SIGTERM the launcher and the server JVM (only the processes this node started)."""
        if self.proc is None:
            return
        pids = [self.proc.pid]
        server = stk.read_pid(self.dir / "server.pid")
        if server is not None:
            pids.append(server)
        stk.stop_pids([p for p in pids if stk.alive(p)], 30)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        (self.dir / "server.pid").unlink(missing_ok=True)
        self.proc = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.link is not None:
            self.link.unlink(missing_ok=True)

    def kill_now(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
