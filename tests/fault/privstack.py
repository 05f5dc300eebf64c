"""A private Kafka broker and Elasticsearch node that the fault suite may kill -9 at will.

The shared stack serves every other test at the same time, so it is never touched here: these
two run from the same downloaded jars and unpacked distribution, with their own data, config and
free ports, through diplowire.devstack's public API (prepare_kafka, spawn, stop_pids, ...), so
they are configured, started and stopped like the shared ones.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from diplowire import devstack as stk
from tests.support.esnode import prepare_node
from tests.support.kafkanode import free_port

# Elasticsearch's write pool with one thread and one queue slot: a handful of concurrent bulk
# requests fill it, and it answers 429 es_rejected_execution_exception (static node settings).
WRITE_POOL = ("thread_pool.write.size: 1", "thread_pool.write.queue_size: 1")


def _wait(
    ready: Callable[[], bool], proc: subprocess.Popen[bytes], timeout: float, what: str, log: Path
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({proc.returncode}): {stk.tail(log)}")
        if ready():
            return
        time.sleep(0.5)
    raise RuntimeError(f"{what} not ready after {timeout:.0f}s: {stk.tail(log)}")


def _kill9(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(stk.alive(p) for p in pids):
        time.sleep(0.05)


class PrivateKafka:
    """One KRaft broker+controller; its data survives kill -9 and restart (same log dirs)."""

    def __init__(self, root: Path, shared: stk.StackConfig) -> None:
        port = free_port()
        self.cfg = stk.StackConfig(
            stack_dir=root / "kafka-stack",
            cache_dir=shared.cache_dir,
            kafka_port=port,
            controller_port=free_port(),
            es_port=free_port(),  # unused: StackConfig wants three different ports
        )
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.cfg.kafka_port}"

    def start(self, timeout: float = 120.0) -> None:
        self.cfg.stack_dir.mkdir(parents=True, exist_ok=True)
        # The stack's own steps: write server.properties, format storage on first start, spawn.
        cmd = stk.prepare_kafka(self.cfg)
        self.proc = stk.spawn(self.cfg, stk.KAFKA, cmd, None)
        _wait(
            lambda: stk.kafka_metadata_ok(self.cfg.kafka_port),
            self.proc,
            timeout,
            "private Kafka",
            self.cfg.main_log(stk.KAFKA),
        )

    def kill9(self) -> None:
        if self.proc is not None:
            _kill9([self.proc.pid])
            self.proc.wait(timeout=10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            stk.stop_pids([self.proc.pid], 30)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
            self.proc = None


class PrivateEs:
    """A single node with a one-thread, one-slot write pool (see :data:`WRITE_POOL`)."""

    def __init__(self, root: Path, shared: stk.StackConfig) -> None:
        self.home = shared.es_home
        # ``root`` must be reachable by the unprivileged Elasticsearch user: under the shared
        # node's base directory (StackConfig.es_base), as the fixture puts it.
        self.dir = root / "elasticsearch"
        self.http_port, self.transport_port = free_port(), free_port()
        self.owner = stk.es_owner()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def _prepare(self) -> tuple[list[str], dict[str, str]]:
        if not (self.home / "bin" / "elasticsearch").is_file():
            raise RuntimeError(f"no Elasticsearch distribution at {self.home}: stack up first")
        return prepare_node(
            self.dir,
            self.home,
            http_port=self.http_port,
            transport_port=self.transport_port,
            cluster="diplowire-fault",
            node="fault-node",
            owner=self.owner,
            settings=("action.destructive_requires_name: false", *WRITE_POOL),
            env={"CLI_JAVA_OPTS": f"-Djava.io.tmpdir={self.dir / 'tmp'}"},
        )

    def start(self, timeout: float = 180.0) -> None:
        cmd, env = self._prepare()
        kwargs: dict[str, object] = {}
        if self.owner is not None:
            kwargs = {"user": self.owner[0], "group": self.owner[1], "extra_groups": []}
        log = self.dir / "logs" / "stdout.log"
        with log.open("ab") as out:
            self.proc = subprocess.Popen(  # type: ignore[call-overload]
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=str(self.dir / "logs"),
                env=env,
                start_new_session=True,
                **kwargs,
            )
        _wait(self.healthy, self.proc, timeout, "private Elasticsearch", log)

    def healthy(self) -> bool:
        url = f"{self.url}/_cluster/health?wait_for_status=yellow&timeout=1s"
        try:
            with urllib.request.urlopen(url, timeout=3) as resp:
                return bool(resp.status == 200)
        except OSError:
            return False

    def _pids(self) -> list[int]:
        # bin/elasticsearch is a launcher JVM; the server JVM's pid is in server.pid.
        pids = [self.proc.pid] if self.proc is not None else []
        server = stk.read_pid(self.dir / "server.pid")
        return [*pids, server] if server is not None else pids

    def kill9(self) -> None:
        _kill9(self._pids())
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
        (self.dir / "server.pid").unlink(missing_ok=True)
        self.proc = None

    def destroy(self, keep_files: bool = False) -> None:
        pids = [p for p in self._pids() if stk.alive(p)]
        if pids:
            stk.stop_pids(pids, 30)
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
        self.proc = None
        if not keep_files:
            shutil.rmtree(self.dir, ignore_errors=True)
