"""A throwaway single-node Kafka (KRaft) for tests that need a broker to be absent, then back.

The shared stack's broker serves every test, so it is never stopped; this one runs from the same
cached jars (``diplowire stack up`` downloads them) with its own data directory and free ports,
through the stack's own configuration code so it behaves like the shared one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from diplowire import devstack as stk

STOP_WAIT_S = 10.0
"""How long :meth:`KafkaNode.frozen` waits for every broker thread to be stopped."""


def _all_threads_stopped(pid: int) -> bool:
    """Every thread of ``pid`` in the stopped state (``T`` in /proc; one that exited meanwhile
    does not count)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        # The command name in parentheses may hold spaces: the state follows the last ")".
        if stat.rsplit(")", 1)[1].split()[0] not in ("T", "t", "Z", "X"):
            return False
    return True


def free_port() -> int:
    """A loopback port nobody listens on now (and, for a while, likely nobody will)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class KafkaNode:
    """``start()`` may come late: clients can be pointed at :attr:`bootstrap` before it runs."""

    def __init__(self, port: int | None = None, controller_port: int | None = None) -> None:
        base = stk.StackConfig.from_env()
        self.port = port or free_port()
        self.controller_port = controller_port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="diplowire-kafkanode-"))
        # Only the ports and the directory differ from the shared broker's configuration.
        self.cfg = dataclasses.replace(
            base,
            stack_dir=self.dir,
            kafka_port=self.port,
            controller_port=self.controller_port,
            es_port=free_port(),
        )
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> None:
        if not self.cfg.kafka_libs.is_dir():
            raise RuntimeError(f"no Kafka jars at {self.cfg.kafka_libs}: run `diplowire stack up`")
        cmd = stk.prepare_kafka(self.cfg)
        # A smaller heap than the shared broker's: two brokers share a small machine.
        cmd = [a for a in cmd if a not in stk.KAFKA_HEAP]
        cmd[1:1] = ["-Xms256m", "-Xmx512m"]
        self.proc = stk.spawn(self.cfg, stk.KAFKA, cmd, None)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"test broker exited: {self.log_tail()}")
            if stk.kafka_metadata_ok(self.port, timeout=1.0):
                return
            time.sleep(0.3)
        raise RuntimeError(f"test broker not ready after {timeout:.0f}s: {self.log_tail()}")

    def log_tail(self) -> str:
        return stk.tail(self.dir / "kafka" / "logs" / "server.log")

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM (SIGKILL after ``timeout``) this node's own process only."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    @contextlib.contextmanager
    def frozen(self) -> Iterator[None]:
        """SIGSTOP this node's broker for the block: it keeps its sockets but answers nothing.

        Only a private node may be frozen: freezing the shared broker would stall every suite
        running beside this one.
        """
        if self.proc is None or self.proc.poll() is not None:
            raise RuntimeError("the test broker is not running")
        pid = self.proc.pid
        os.kill(pid, signal.SIGSTOP)
        try:
            # kill() returns before the stop: each thread stops when it next runs, and on a
            # loaded machine the broker went on answering for 10 ms and more (a flush meant to
            # meet a frozen broker was acknowledged). The block starts once every thread is.
            deadline = time.monotonic() + STOP_WAIT_S
            while not _all_threads_stopped(pid):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"broker {pid} not stopped {STOP_WAIT_S} s after SIGSTOP")
                time.sleep(0.002)
            yield
        finally:
            os.kill(pid, signal.SIGCONT)

    def kill_now(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> KafkaNode:
        return self

    def __exit__(self, *exc: object) -> None:
        self.destroy()
