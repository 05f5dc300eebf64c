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
import socket
import subprocess
import time
import urllib.request
import uuid

from diplowire import devstack as stk


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EsNode:
    def __init__(
        self,
        http_port: int | None = None,
        transport_port: int | None = None,
        cfg: stk.StackConfig | None = None,
    ) -> None:
        self.cfg = cfg or stk.StackConfig.from_env()
        # Free ports by default: another run (or the shared node) may hold the usual ones.
        self.http_port = http_port or _free_port()
        self.transport_port = transport_port or _free_port()
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
        conf = self.dir / "config"
        for sub in ("data", "logs", "tmp"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        if self.link is not None and not self.link.is_symlink():
            self.link.symlink_to(self.dir)
        if not conf.exists():
            shutil.copytree(home / "config", conf)
        jvm = (home / "config" / "jvm.options").read_text()
        jvm = jvm.replace("file=gc.log", f"file={self.dir / 'logs' / 'gc.log'}")
        jvm = jvm.replace(
            "-XX:ErrorFile=hs_err_pid%p.log", f"-XX:ErrorFile={self.dir / 'logs' / 'hs_err.log'}"
        )
        (conf / "jvm.options").write_text(jvm)
        (conf / "elasticsearch.yml").write_text(
            "\n".join(
                [
                    "cluster.name: diplowire-test-node",
                    "node.name: test-node",
                    f"path.data: {json.dumps(str(self.dir / 'data'))}",
                    f"path.logs: {json.dumps(str(self.dir / 'logs'))}",
                    "network.host: 127.0.0.1",
                    f"http.port: {self.http_port}",
                    f"transport.port: {self.transport_port}",
                    "discovery.type: single-node",
                    "xpack.security.enabled: false",
                    "cluster.routing.allocation.disk.threshold_enabled: false",
                    "",
                ]
            )
        )
        if self.owner is not None:
            stk.chown_tree(self.dir, *self.owner)
        jdk, _ = stk.pick_jdk(*stk.jdk_range_for_elasticsearch(), env_vars=("ES_JAVA_HOME",))
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": str(self.dir),
            "ES_JAVA_HOME": str(jdk),
            "ES_PATH_CONF": str(conf),
            "ES_JAVA_OPTS": "-Xms512m -Xmx512m",
            "ES_TMPDIR": str(self.dir / "tmp"),
        }
        return [str(home / "bin" / "elasticsearch"), "-p", str(self.dir / "server.pid")], env

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
